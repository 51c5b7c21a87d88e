"""clout publish-sql against the machine's PostgreSQL: idempotent days, BI queries agree."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from analystkit import DAYS

from pipeline.analyst.publish import PublishError, engine_for, publish_marts
from pipeline.warehouse.catalog import query
from pipeline.warehouse.storage import Warehouse

URL = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_up() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return
    except OSError:
        msg = "PostgreSQL not reachable at 127.0.0.1:5432"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture()
def schema() -> Iterator[str]:
    _pg_up()
    import sqlalchemy as sa

    name = f"clout_test_{uuid.uuid4().hex[:10]}"
    yield name
    engine = engine_for(URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'drop schema if exists "{name}" cascade'))
    engine.dispose()


def _pg(sql: str) -> list[tuple]:
    import sqlalchemy as sa

    engine = engine_for(URL)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _rounded(rows: list[tuple]) -> list[tuple]:
    return [tuple(round(float(v), 6) if isinstance(v, float) else v for v in r) for r in rows]


def test_rerun_leaves_the_same_rows_and_bi_queries_agree(analyst_wh, schema: str) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(analyst_wh.root)
    first, last = DAYS[0], DAYS[-1]
    report = publish_marts(wh, URL, first, last, schema=schema)
    assert report.total > 0 and all(report.rows[m] for m in report.rows)
    everything = {t: sorted(map(repr, _pg(f'select * from "{schema}"."{t}"'))) for t in report.rows}
    again = publish_marts(wh, URL, first, last, schema=schema)
    assert again.rows == report.rows
    for t in report.rows:
        assert sorted(map(repr, _pg(f'select * from "{schema}"."{t}"'))) == everything[t], t
    # rows per table and day equal the warehouse's
    for t, per_day in report.rows.items():
        counts = dict(_pg(f'select dt, count(*) from "{schema}"."{t}" group by dt'))
        assert {d.isoformat(): n for d, n in counts.items()} == {
            d: n for d, n in per_day.items() if n
        }, t
    bi = """select campaign_id, count(*) as n, sum(impressions) as impressions,
                sum(revenue) as revenue, sum(ad_spend) as spend, sum(web_sessions) as web,
                sum(revenue) / nullif(sum(ad_spend), 0) as roas
            from {t} where dt between '{a}' and '{b}' group by campaign_id order by campaign_id"""
    pg = _pg(bi.format(t=f'"{schema}".campaign_daily', a=first, b=last))
    duck = query(wh, bi.format(t="campaign_daily", a=first, b=last)).to_pylist()
    assert pg and _rounded(pg) == _rounded([tuple(int(v) if hasattr(v, "as_tuple") else v
                                                   for v in r.values()) for r in duck])  # fmt: skip
    bi2 = """select platform, dt, count(*) as n, sum(followers) as f, avg(engagement_rate) as er
             from {t} as x group by platform, dt order by platform, dt"""
    pg2 = _pg(bi2.format(t=f'"{schema}".influencer_daily'))
    window = f"(select * from influencer_daily where dt between '{first}' and '{last}')"
    duck2 = [tuple(r.values()) for r in query(wh, bi2.format(t=window)).to_pylist()]
    assert len(pg2) == len(duck2) > 0
    assert _norm(pg2) == _norm(duck2)


def _norm(rows: list[tuple]) -> list[tuple]:
    return [
        (p, d, int(n), int(f), None if e is None else round(float(e), 9)) for p, d, n, f, e in rows
    ]


def test_rerun_of_one_day_replaces_only_that_day(analyst_wh, schema: str) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(analyst_wh.root)
    publish_marts(wh, URL, DAYS[0], DAYS[1], schema=schema, marts=["influencer_daily"])
    before = _pg(f'select dt, count(*) from "{schema}".influencer_daily group by dt order by dt')
    # a stale row of day 1 that a rerun must delete
    import sqlalchemy as sa

    engine = engine_for(URL)
    with engine.begin() as conn:
        conn.execute(sa.text(
            f"insert into \"{schema}\".influencer_daily (platform, account_id, followers, "
            f"posts_published, posts_measured, dt) values ('instagram', 'ghost', 1, 0, 0, '{DAYS[0]}')"
        ))  # fmt: skip
    engine.dispose()
    publish_marts(wh, URL, DAYS[0], DAYS[0], schema=schema, marts=["influencer_daily"])
    after = _pg(f'select dt, count(*) from "{schema}".influencer_daily group by dt order by dt')
    assert after == before and len(after) == 2


def test_bad_targets_are_one_clear_error(analyst_wh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(analyst_wh.root)
    with pytest.raises(PublishError, match="needs PostgreSQL"):
        publish_marts(wh, "sqlite:///x.db", DAYS[0], DAYS[0])
    with pytest.raises(PublishError, match="cannot publish to postgresql"):
        publish_marts(wh, "postgresql://postgres:secret@127.0.0.1:1/test", DAYS[0], DAYS[0])
    with pytest.raises(PublishError, match="unknown mart"):
        publish_marts(wh, URL, DAYS[0], DAYS[0], marts=["nope"])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "publish-sql", "--start", str(DAYS[0]),
         "--url", "postgresql://postgres:secret@127.0.0.1:1/test"],
        env={**base, **analyst_wh.env}, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "secret" not in proc.stderr and "127.0.0.1:1" in proc.stderr


def test_cli_publishes_with_the_setting(analyst_wh, schema: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUT_", "AIRFLOW"))}
    env = {**base, **analyst_wh.env, "CLOUT_PUBLISH_URL": URL, "CLOUT_PUBLISH_SCHEMA": schema}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "publish-sql", "--start", str(DAYS[-1])],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"published {DAYS[-1]}..{DAYS[-1]}" in proc.stdout
    n = _pg(f'select count(*) from "{schema}".campaign_daily')[0][0]
    assert n == query(Warehouse(analyst_wh.root),
                      f"select count(*) from campaign_daily where dt = '{DAYS[-1]}'").column(0)[0].as_py()  # fmt: skip


def test_flow_step_is_a_no_op_without_the_setting(analyst_wh) -> None:  # type: ignore[no-untyped-def]
    from pipeline.config import reload_settings
    from pipeline.flows.analyst import publish_sql

    reload_settings()
    assert publish_sql(date(2026, 3, 3), "r") == {"skipped": "CLOUT_PUBLISH_URL is not set"}


def test_flow_step_publishes_the_day_with_the_setting(analyst_wh, schema: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pipeline.config import reload_settings
    from pipeline.flows.analyst import publish_sql

    monkeypatch.setenv("CLOUT_WAREHOUSE", str(analyst_wh.root))
    monkeypatch.setenv("CLOUT_PUBLISH_URL", URL)
    monkeypatch.setenv("CLOUT_PUBLISH_SCHEMA", schema)
    reload_settings()
    try:
        out = publish_sql(DAYS[-1], "r", "influencer")
    finally:
        monkeypatch.delenv("CLOUT_PUBLISH_URL")
        reload_settings()
    assert set(out["rows"]) == {"influencer_daily", "fraud_flags", "audience_quality",
                                "influencer_scores"}  # fmt: skip
    n = _pg(f'select count(*) from "{schema}".influencer_daily')[0][0]
    assert n == out["rows"]["influencer_daily"][DAYS[-1].isoformat()] > 0
