"""The embedded default platform: a deterministic synthetic world and its local HTTP API.

``World`` (``pipeline.simulator.world``) generates the data; ``pipeline.simulator.server``
serves it over HTTP (``create_app``, ``run_server``, ``SimulatorThread``). Fraud ground truth
is only available through ``World.labels`` / ``write_labels`` (``pipeline.simulator.labels``),
never through the API; the ground truth of the malformed rows the ``malformed_rate`` fault
mixes in is ``malformed_truth`` (``pipeline.simulator.malformed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .malformed import malformed_rows, malformed_truth
from .world import World, write_labels

if TYPE_CHECKING:
    from .server import Faults, SimulatorThread, create_app, run_server, set_faults

__all__ = [
    "Faults",
    "SimulatorThread",
    "World",
    "create_app",
    "malformed_rows",
    "malformed_truth",
    "run_server",
    "set_faults",
    "write_labels",
]

_SERVER_NAMES = {"Faults", "SimulatorThread", "create_app", "run_server", "set_faults"}


def __getattr__(name: str) -> Any:
    # the server (starlette, uvicorn) is imported only when asked for
    if name in _SERVER_NAMES:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
