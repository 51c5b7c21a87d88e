"""clout shortlist: greedy within budget, fraud flags shown, the CLI command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml
from hypothesis import given
from hypothesis import strategies as st
from scorekit import TARGET, D, account, audience, brief, quality, write
from typer.testing import CliRunner

from pipeline.scoring.shortlist import greedy_within_budget, shortlist
from pipeline.warehouse.storage import Warehouse


@given(prices=st.lists(st.floats(0.0, 1e6), max_size=60), budget=st.floats(0.0, 1e6),
       top=st.none() | st.integers(1, 10))  # fmt: skip
def test_greedy_never_exceeds_the_budget(
    prices: list[float], budget: float, top: int | None
) -> None:
    picked = greedy_within_budget(prices, budget, top)
    assert sum(prices[i] for i in picked) <= budget + 1e-6
    assert picked == sorted(picked) and (top is None or len(picked) <= top)
    left = budget - sum(prices[i] for i in picked)
    if top is None or len(picked) < top:  # nothing skipped that would still have fitted
        assert all(prices[i] > left + 1e-9 for i in set(range(len(prices))) - set(picked))


def _world(wh: Warehouse) -> None:
    ids = ["big", "a1", "a2", "a3", "flagged"]
    followers = {"big": 900_000, "a1": 60_000, "a2": 50_000, "a3": 40_000, "flagged": 55_000}
    write(
        wh,
        stg_accounts=[{**account(i, followers[i]), "handle": f"@{i}"} for i in ids],
        stg_audience=[r for i in ids for r in audience(i, TARGET)],
        audience_quality=[quality(i, 60.0 if i == "flagged" else 95.0) for i in ids],
        fraud_flags=[
            {"entity_type": "account", "entity_id": "flagged", "platform": "instagram",
             "account_id": "flagged", "signal": "low_authenticity", "severity": "high",
             "explanation": "x"},
            *({"entity_type": "post", "entity_id": f"p{k}", "platform": "instagram",
               "account_id": "flagged", "signal": "likes_without_comments",
               "severity": "medium", "explanation": "x"} for k in range(2)),
        ],
    )  # fmt: skip


def test_shortlist_fits_budget_and_lists_flags(wh: Warehouse) -> None:
    _world(wh)
    b = brief(budget=1_500)  # big costs 9,000: skipped; 50k instagram ~ 500 each
    rows = shortlist(wh, b, D).to_pylist()
    assert sum(r["est_post_price"] for r in rows) <= 1_500
    assert "big" not in {r["account_id"] for r in rows} and len(rows) == 3
    assert [r["#"] for r in rows] == [1, 2, 3]
    assert rows[-1]["cumulative_cost"] == pytest.approx(sum(r["est_post_price"] for r in rows))
    assert rows[0]["handle"].startswith("@")
    by = {r["account_id"]: r for r in shortlist(wh, brief(budget=100_000), D).to_pylist()}
    assert by["flagged"]["fraud_flags"] == "likes_without_comments x2, low_authenticity"
    assert by["a1"]["fraud_flags"] == ""
    assert by["flagged"]["brief_rank"] == 5  # lowest quality of the same-audience accounts
    assert len(shortlist(wh, brief(budget=100_000), D, top=2)) == 2


def test_shortlist_converts_prices_to_the_brief_currency(wh: Warehouse) -> None:
    _world(wh)
    usd = {r["account_id"]: r for r in shortlist(wh, brief(budget=100_000), D).to_pylist()}
    eur = {r["account_id"]: r for r in
           shortlist(wh, brief(budget=100_000, currency="EUR"), D).to_pylist()}  # fmt: skip
    assert eur["a1"]["est_post_price"] == pytest.approx(usd["a1"]["est_post_price"] / 1.08)


def test_cli(wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli.scoring import shortlist as command
    from pipeline.config import reload_settings

    _world(wh)
    app = typer.Typer()
    app.command("shortlist")(command)
    app.command("noop")(lambda: None)  # keep "shortlist" a sub-command
    monkeypatch.setenv("CLOUT_WAREHOUSE", str(wh.root))
    reload_settings()
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump({"brief_id": "b1", "platforms": ["instagram"],
                                    "target": TARGET, "budget": 1_500}))  # fmt: skip
    runner = CliRunner()
    out = runner.invoke(app, ["shortlist", "--brief", str(path), "--date", str(D), "--top", "2"])
    assert out.exit_code == 0, out.output
    assert "brief b1 on 2026-03-20: 2 accounts" in out.output and "@a1" in out.output
    path.write_text(yaml.safe_dump({"brief_id": "b1", "platforms": ["myspace"], "budget": 1}))
    out = runner.invoke(app, ["shortlist", "--brief", str(path), "--date", str(D)])
    assert out.exit_code == 1 and "unknown platform 'myspace'" in out.output
    reload_settings()
