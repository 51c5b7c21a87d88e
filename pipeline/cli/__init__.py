"""The ``clout`` command line: ``pipeline.cli.app`` assembles the command groups."""

from pipeline.cli.app import app, main

__all__ = ["app", "main"]
