"""``clout fraud evaluate``: a small run end to end, and its errors."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.fraud.evaluate import SimSpec, evaluate, evaluate_warehouse, run_simulated


def test_small_simulated_run_gives_a_table_per_signal(tmp_path: Path) -> None:
    spec = SimSpec(seed=5, accounts=40, followers_sampled=30, campaigns=4)
    day = date(2026, 3, 10)
    wh = run_simulated(spec, day, day, tmp_path / "warehouse", warmup=2)
    signals, authenticity = evaluate_warehouse(wh, spec, day, day)
    assert {"follower_spike", "click fraud (any delivery signal)", "low_authenticity"} <= set(
        signals["signal"]
    )
    for _, row in signals.iterrows():
        for col in ("precision", "recall"):
            assert math.isnan(row[col]) or 0.0 <= row[col] <= 1.0
    assert set(authenticity["estimate"]) == {
        "authenticity_pct_28d",
        "authenticity_pct",
        "not_suspicious_pct_28d",
    }
    assert (authenticity["n"] == 40).all()
    # the same warehouse evaluated again through --warehouse gives the same answer
    again, _ = evaluate(day, day, spec, warehouse=tmp_path / "warehouse")
    assert again.equals(signals)


def test_cli_errors_are_one_line() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["fraud", "evaluate", "--start", "2026-03-02", "--end", "2026-03-01"]
    )
    assert result.exit_code == 1
    assert "is before --start" in result.output
    result = runner.invoke(
        app,
        ["fraud", "evaluate", "--start", "2026-03-01", "--end", "2026-03-01",
         "--warehouse", "/nonexistent/wh"],
    )  # fmt: skip
    assert result.exit_code == 1 and "no warehouse at" in result.output
