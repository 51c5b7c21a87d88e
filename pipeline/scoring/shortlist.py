"""``clout shortlist``: the best accounts for a brief on a day, within its budget.

Greedy by score: walk the accounts that pass the brief's filters from the best score down and
take each one whose estimated post price still fits in what is left of the budget (a cheaper
account further down may fill a gap an expensive one could not). Stops after ``top`` accounts.
Each row carries its score components and the fraud flags of that account on that day (from
``fraud_flags``: account signals and the signals of its posts, with counts), the evidence
behind a lower quality score.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from pipeline.campaigns.fx import USD_PER_UNIT
from pipeline.scoring.briefs import Brief
from pipeline.scoring.model import ScoringConfig
from pipeline.scoring.prepare import score_on
from pipeline.warehouse.catalog import connect, register_views
from pipeline.warehouse.storage import Warehouse


def greedy_within_budget(prices: list[float], budget: float, top: int | None = None) -> list[int]:
    """Indexes (in the given, best-first order) picked greedily so that their prices sum to at
    most ``budget``; at most ``top`` of them."""
    picked: list[int] = []
    left = budget
    for i, price in enumerate(prices):
        if top is not None and len(picked) >= top:
            break
        if price <= left + 1e-9:
            picked.append(i)
            left -= price
    return picked


_FLAGS_SQL = """
with flags as (
    select platform, coalesce(account_id, entity_id) as account_id, signal, count(*) as n
    from fraud_flags
    where dt = getvariable('dt')
        and (entity_type = 'account' or (entity_type = 'post' and account_id is not null))
    group by all
),
flag_text as (
    select platform, account_id,
        string_agg(case when n > 1 then signal || ' x' || n else signal end, ', '
                   order by signal) as fraud_flags
    from flags
    group by all
),
handles as (
    select platform, account_id, handle from stg_accounts where dt = getvariable('dt')
)
select
    picked.pick as "#",
    picked.platform,
    picked.account_id,
    handles.handle,
    picked.score,
    picked.quality_score,
    picked.audience_fit,
    picked.niche_fit,
    picked.authenticity_pct,
    picked.followers,
    picked.price as est_post_price,
    picked.cpm as expected_cpm,
    picked.cumulative_cost,
    picked.rank as brief_rank,
    coalesce(flag_text.fraud_flags, '') as fraud_flags
from picked
left join handles using (platform, account_id)
left join flag_text using (platform, account_id)
order by picked.pick
"""


def shortlist(
    wh: Warehouse,
    brief: Brief,
    dt: date,
    top: int | None = None,
    config: ScoringConfig | None = None,
) -> pa.Table:
    """The ranked shortlist of ``brief`` on ``dt``; prices in the brief's currency, their sum
    never above the budget."""
    con = connect()
    try:
        register_views(con, wh)
        scores = score_on(con, [brief], dt, config)
        fx = USD_PER_UNIT[brief.currency]
        prices = [p / fx for p in scores.column("est_post_price").to_pylist()]
        idx = greedy_within_budget(prices, brief.budget, top)
        picked = scores.take(pa.array(idx, pa.int64()))
        chosen = [prices[i] for i in idx]
        cumulative, total = [], 0.0
        for p in chosen:
            total += p
            cumulative.append(total)
        cpm = picked.column("expected_cpm").to_pylist()
        picked = picked.append_column("pick", pa.array(range(1, len(idx) + 1), pa.int64()))
        picked = picked.append_column("price", pa.array(chosen, pa.float64()))
        picked = picked.append_column(
            "cpm", pa.array([None if c is None else c / fx for c in cpm], pa.float64())
        )
        picked = picked.append_column("cumulative_cost", pa.array(cumulative, pa.float64()))
        con.register("picked", picked)
        return con.sql(_FLAGS_SQL).to_arrow_table()
    finally:
        con.close()
