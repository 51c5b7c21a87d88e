"""``python -m pipeline.cli``: the same as the ``clout`` command."""

from pipeline.cli.app import main

main()
