"""``clout fraud evaluate``, the runs: the nightly steps against a simulated world into a
temporary warehouse (extract, stage, marts; GX validation is skipped, it does not change the
staged data), then :mod:`pipeline.fraud.evaluate` scores every signal against the world's
ground truth. Several worlds (seeds) run one after the other and their counts are pooled."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

from pipeline.config import reload_settings
from pipeline.contracts import MARTS, PLATFORMS, SOURCE_TABLES
from pipeline.flows import influencer_daily as run
from pipeline.flows.marts import build_day
from pipeline.fraud.evaluate import Evaluation, SimSpec, days, evaluate_one, pool
from pipeline.warehouse.storage import Warehouse


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    reload_settings()
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reload_settings()


def run_simulated(
    spec: SimSpec, start: date, end: date, root: Path, warmup: int = 14,
    echo: Callable[[str], object] | None = None,
) -> Warehouse:  # fmt: skip
    """Run the nightly steps for [start - warmup, end] against a simulator into ``root``."""
    from pipeline.simulator.server import SimulatorThread
    from pipeline.staging.pages import stage_table

    with SimulatorThread(world=spec.world()) as sim:
        env = {
            "CLOUT_WAREHOUSE": str(root),
            "CLOUT_API_URL": sim.url,
            "CLOUT_API_TOKEN": sim.token,
            "CLOUT_PII_KEY": "fraud-evaluate",
        }
        with _env(env):
            wh = run.warehouse()
            for d in days(start - timedelta(days=warmup), end):
                run_id = run.new_run_id(d)
                for p in PLATFORMS:
                    run.extract(d, p, run_id)
                for t in SOURCE_TABLES:
                    stage_table(wh, t, d, run_id)
                for m in MARTS:
                    build_day(wh, m, d, run_id)
                if echo:
                    echo(f"ran {d}")
    return Warehouse(root)


def evaluate(
    start: date,
    end: date,
    specs: Sequence[SimSpec],
    warehouse: Path | None = None,
    warmup: int = 14,
    echo: Callable[[str], object] | None = None,
    progress: Callable[[str], object] | None = None,
) -> Evaluation:
    """Run (unless ``warehouse`` is given) and evaluate one world or several, pooled.

    ``echo`` gets a line per day run, ``progress`` a line per world."""
    if not specs:
        raise ValueError("no world to evaluate: give at least one --seed")
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    if len({s.seed for s in specs}) != len(specs):
        raise ValueError("each --seed may be given once")
    if warehouse is not None:
        if len(specs) != 1:
            raise ValueError("--warehouse holds one world: give one --seed with it")
        if not Path(warehouse).is_dir():
            raise FileNotFoundError(f"no warehouse at {warehouse}")
        return pool({specs[0].seed: evaluate_one(Warehouse(warehouse), specs[0], start, end)})
    per_world = {}
    for spec in specs:
        if progress:
            progress(f"world seed={spec.seed}: running {start - timedelta(days=warmup)} to {end}")
        with tempfile.TemporaryDirectory(prefix="clout-fraud-eval-") as tmp:
            wh = run_simulated(spec, start, end, Path(tmp) / "warehouse", warmup=warmup, echo=echo)
            per_world[spec.seed] = evaluate_one(wh, spec, start, end)
    return pool(per_world)
