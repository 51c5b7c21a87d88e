"""``clout fraud evaluate``: a small run end to end, and its errors."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.flows.fraud_eval import evaluate, run_simulated
from pipeline.fraud.evaluate import SimSpec, evaluate_warehouse, pool


@pytest.mark.slow  # runs the pipeline against a simulator for three days
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
    again = evaluate(day, day, [spec], warehouse=tmp_path / "warehouse")
    assert again.signals.equals(signals)
    assert again.authenticity.equals(authenticity)


def _signals(flagged: int, true: int, hits: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "signal": ["follower_spike"],
            "unit": ["account-day"],
            "truth": ["bought followers"],
            "flagged": [flagged],
            "true": [true],
            "hits": [hits],
            "precision": [hits / flagged],
            "recall": [hits / true],
        }
    )


def _estimates(errors: list[float]) -> pd.DataFrame:
    """Account-days of one day whose authenticity_pct_28d is off the truth by ``errors``."""
    n = len(errors)
    truth = pd.Series([80.0] * n)
    return pd.DataFrame(
        {
            "dt": [date(2026, 3, 1)] * n,
            "followers_sampled": [100] * n,
            "followers_sampled_28d": [2800] * n,
            "authenticity_pct": truth,
            "authenticity_pct_28d": truth + pd.Series(errors),
            "not_suspicious_pct_28d": truth,
            "true_authentic_pct": truth,
            "true_not_fake_pct": truth,
        }
    )


def test_worlds_pool_their_counts() -> None:
    """9 of 10 and 18 of 20 flags right, 9 of 12 and 18 of 18 bought days found: pooled 27 of
    30 flags (0.9) and 27 of 30 bought days (0.9); 2 of 4 account-days within 5 points."""
    result = pool(
        {
            7: (_signals(10, 12, 9), _estimates([0.0, 6.0])),
            11: (_signals(20, 18, 18), _estimates([-5.0, -5.5])),
        }
    )
    row = result.signals.iloc[0]
    assert (row["flagged"], row["true"], row["hits"]) == (30, 30, 27)
    assert row["precision"] == row["recall"] == 0.9
    assert list(result.per_seed.columns) == ["signal", "7", "11"]
    assert result.per_seed.iloc[0].tolist() == ["follower_spike", "0.900 / 0.750", "0.900 / 1.000"]
    pooled = result.authenticity.set_index(["estimate", "level"])
    assert pooled.loc[("authenticity_pct_28d", "account-day"), "n"] == 4
    assert pooled.loc[("authenticity_pct_28d", "account-day"), "within_5_points"] == 0.5


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
    result = runner.invoke(
        app,
        ["fraud", "evaluate", "--start", "2026-03-01", "--end", "2026-03-01",
         "--seed", "7", "--seed", "11", "--warehouse", "/nonexistent/wh"],
    )  # fmt: skip
    assert result.exit_code == 1 and "give one --seed" in result.output


@pytest.mark.slow  # two simulated worlds, two days each, through the pipeline
def test_cli_pools_two_small_worlds() -> None:
    result = CliRunner().invoke(
        app,
        ["fraud", "evaluate", "--start", "2026-03-10", "--end", "2026-03-10", "--accounts", "30",
         "--followers-sampled", "20", "--campaigns", "2", "--warmup", "1",
         "--seed", "5", "--seed", "6"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2026-03-10 to 2026-03-10, seeds 5, 6 pooled:" in result.output
    assert "precision / recall of each world:" in result.output
    assert "world seed=5: running 2026-03-09 to 2026-03-10" in result.output
    assert "world seed=6: running" in result.output
