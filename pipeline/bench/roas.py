"""``bench_roas``: orders and delivery rows to campaign marts, timed (``make bench``)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipeline.campaigns.fx import CURRENCIES
from pipeline.contracts import DELIVERY, STG_CAMPAIGNS
from pipeline.warehouse.storage import Partition, Warehouse

DAY = date(2026, 3, 8)


def synthetic_inputs(orders: int, delivery: int, days: int = 8, campaigns: int = 200,
                     seed: int = 1) -> tuple[pa.Table, pa.Table, pa.Table]:  # fmt: skip
    """(campaigns, raw orders as extracted, delivery with a ``dt`` column) for the bench."""
    rng = np.random.default_rng(seed)
    first = DAY - timedelta(days=days - 1)
    per = 5
    n_inf = campaigns * per
    cid = np.repeat([f"c{i}" for i in range(campaigns)], per)
    acc = np.array([f"a{i}" for i in range(n_inf)], dtype=object)
    camp = pa.table(
        {
            "campaign_id": cid,
            "brand": np.repeat("b", n_inf),
            "name": cid,
            "currency": np.array(CURRENCIES[:3], dtype=object)[np.arange(n_inf) // per % 3],
            "start_date": pa.array([first] * n_inf, pa.date32()),
            "end_date": pa.array([DAY] * n_inf, pa.date32()),
            "budget": np.full(n_inf, 1e6),
            "platform": np.repeat("instagram", n_inf),
            "account_id": acc,
            "fee": np.full(n_inf, 500.0),
            "seeding_cost": np.zeros(n_inf),
            "promo_code": np.array([f"P{i}" for i in range(n_inf)], dtype=object),
            "utm_content": np.array([f"u{i}" for i in range(n_inf)], dtype=object),
            "live_date": pa.array(
                [first + timedelta(days=int(x)) for x in rng.integers(0, 3, n_inf)], pa.date32()
            ),
        },  # fmt: skip
        schema=STG_CAMPAIGNS.schema,
    )
    t0 = datetime.combine(first, datetime.min.time(), tzinfo=UTC).timestamp()
    created = t0 + rng.uniform(0, days * 86_400, orders)
    who = rng.integers(0, n_inf, orders)
    how = rng.random(orders)
    ts = pa.array((created * 1e6).astype("int64"), pa.timestamp("us", tz="UTC"))
    gross = np.round(rng.uniform(10, 200, orders), 2)
    raw = pa.table(
        {
            "order_id": pa.array(np.arange(orders).astype(str)),
            "created_at": ts,
            "updated_at": ts,
            "status": pa.array(np.where(how < 0.05, "refunded", "paid")),
            "currency": pa.array(
                np.array(CURRENCIES[:4], dtype=object)[rng.integers(0, 4, orders)]
            ),
            "gross_amount": gross,
            "discount_amount": np.zeros(orders),
            "net_amount": gross,
            "refunded_amount": np.where(how < 0.05, gross, 0.0),
            "cogs_amount": gross * 0.4,
            "promo_code": pa.array(np.where(how < 0.5, np.char.add("P", who.astype(str)), None)),
            "utm_source": pa.array(np.full(orders, "instagram")),
            "utm_campaign": pa.array(np.full(orders, None, dtype=object), pa.string()),
            "utm_content": pa.array(
                np.where((how >= 0.5) & (how < 0.9), np.char.add("u", who.astype(str)), None)
            ),
            "customer_id": pa.array(rng.integers(0, 1 << 40, orders).astype(str)),
        }  # fmt: skip
    )
    d_inf = rng.integers(0, n_inf, delivery)
    imps = rng.integers(100, 100_000, delivery)
    clicks = rng.binomial(imps, 0.01)
    deliv = pa.table(
        {
            "campaign_id": pa.array(cid[d_inf]),
            "platform": pa.array(np.repeat("instagram", delivery)),
            "account_id": pa.array(acc[d_inf]),
            "ad_id": pa.array(np.arange(delivery).astype(str)),
            "impressions": imps,
            "reach": imps // 2,
            "clicks": clicks,
            "video_views": imps // 3,
            "spend": np.round(imps * 0.01, 2),
            "currency": pa.array(np.repeat("USD", delivery)),
            "conversions": rng.binomial(clicks, 0.05),
        },  # fmt: skip
        schema=DELIVERY.schema,
    )
    day_idx = rng.integers(0, days, delivery)
    return (
        camp,
        raw,
        deliv.append_column(
            "dt",
            pa.array(day_idx.astype("int32") + (first - date(1970, 1, 1)).days, pa.int32()).cast(
                pa.date32()
            ),
        ),
    )


def bench_roas(orders: int = 1_000_000, delivery: int = 500_000,
               root: Path | None = None) -> dict[str, Any]:  # fmt: skip
    """Stage ``orders`` extracted orders and build the campaign marts over ``delivery`` delivery
    rows (8 days, 200 campaigns x 5 influencers); seconds and rows/s per stage."""
    from pipeline.campaigns.orders import stage_orders
    from pipeline.flows.marts import build_campaign_marts

    with tempfile.TemporaryDirectory(dir=root) as tmp:
        wh = Warehouse(tmp)
        camp, raw, deliv = synthetic_inputs(orders, delivery)
        wh.write_table(Partition.of("staging", "stg_campaigns", DAY), camp, "bench")
        day_col = deliv.column("dt")
        for d in sorted(set(day_col.to_pylist())):
            import pyarrow.compute as pc

            part = deliv.filter(pc.equal(day_col, pa.scalar(d, pa.date32()))).drop_columns(["dt"])
            wh.write_table(Partition.of("staging", "stg_delivery", d), part, "bench")
        t0 = time.perf_counter()
        res = stage_orders(wh, raw, DAY, "bench", "bench")
        t1 = time.perf_counter()
        marts = build_campaign_marts(wh, DAY, "bench")
        t2 = time.perf_counter()
    total = t2 - t0
    return {
        "orders": orders,
        "delivery": delivery,
        "stage_orders_s": round(t1 - t0, 3),
        "stage_orders_rows_per_s": round(orders / (t1 - t0)),
        "marts_s": round(t2 - t1, 3),
        "marts_rows_per_s": round((orders + delivery) / (t2 - t1)),
        "total_s": round(total, 3),
        "rows_per_s": round((orders + delivery) / total),
        "staged_orders": res.staged_rows,
        "campaign_daily_rows": sum(marts["campaign_daily"].values()),
        "target_s": 20.0,
        "meets_target": total < 20.0,
    }


if __name__ == "__main__":  # pragma: no cover
    print(bench_roas())
