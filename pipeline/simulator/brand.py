"""The demo shop: a campaigns YAML and an SQLite orders database, deterministic from a World.

Promo codes, utm_content and live dates come from :meth:`World.campaigns`, so orders line up
with the ad delivery the simulator serves. Orders follow each deliverable's live day for ten
days (the last ones fall outside the 7-day attribution window), some carry a promo code, some
only a UTM tag, some neither; a share of organic orders has no campaign at all. Currencies vary,
some orders reach the database days late, some are refunded days after.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipeline.simulator.world import World

ORDER_CURRENCIES = ("USD", "EUR", "GBP", "CAD")
TABLE = "orders"


def where_or_none(cond: np.ndarray, values: Any) -> np.ndarray:
    """An object array: ``values`` (a scalar or an array shaped like ``cond``) where ``cond``,
    None elsewhere."""
    out = np.full(cond.shape, None, dtype=object)
    out[cond] = values if np.ndim(values) == 0 else np.asarray(values, dtype=object)[cond]
    return out


def campaigns_document(world: World, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The campaigns file content (DESIGN section 11 format) for campaigns active in [start, end]."""
    frame = world.campaigns(start, end)
    out: list[dict[str, Any]] = []
    for cid, g in frame.groupby("campaign_id", sort=False):
        first = g.iloc[0]
        infl = g[g["account_id"].notna()]
        out.append(
            {
                "campaign_id": str(cid),
                "brand": str(first["brand"]),
                "name": str(first["name"]),
                "currency": str(first["currency"]),
                "start_date": first["start_date"],
                "end_date": first["end_date"],
                "budget": float(first["budget"]),
                "influencers": [
                    {
                        "platform": str(r.platform),
                        "account_id": str(r.account_id),
                        "fee": float(r.fee),
                        "promo_code": r.promo_code,
                        "utm_content": r.utm_content,
                        "live_date": r.live_date,
                    }
                    for r in infl.itertuples()
                ],
            }
        )
    return {"campaigns": out}


def demo_orders(world: World, start: dt.date, end: dt.date) -> dict[str, np.ndarray]:
    """Order rows (column -> array) created in [start, end], as the shop holds them at the
    end of ``end`` (updates after that are not there yet)."""
    rng = np.random.default_rng([world.seed, world.n_accounts, 7_731])
    frame = world.campaigns(start, end)
    infl = frame[frame["account_id"].notna()].reset_index(drop=True)
    t0 = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC).timestamp()
    t_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC).timestamp()
    created: list[np.ndarray] = []
    promo: list[np.ndarray] = []
    utm: list[np.ndarray] = []
    camp_cur: list[np.ndarray] = []
    utm_campaign: list[np.ndarray] = []
    for r in infl.itertuples():  # deliverables, not rows
        live = dt.datetime.combine(r.live_date, dt.time(0), tzinfo=dt.UTC).timestamp()
        n = int(rng.poisson(30 + r.fee / 20.0))
        age_days = rng.exponential(3.0, n).clip(0, 10)
        ts = live + age_days * 86_400 + rng.uniform(0, 86_400, n)
        how = rng.random(n)
        created.append(ts)
        promo.append(where_or_none(how < 0.5, r.promo_code))
        utm.append(where_or_none((how >= 0.5) & (how < 0.9), r.utm_content))
        camp_cur.append(np.full(n, r.currency, dtype=object))
        utm_campaign.append(where_or_none(how >= 0.5, r.campaign_id))
    n_org = int(((end - start).days + 1) * 40)
    created.append(t0 + rng.uniform(0, t_end - t0, n_org))
    promo.append(np.full(n_org, None, dtype=object))
    utm.append(np.full(n_org, None, dtype=object))
    camp_cur.append(np.full(n_org, "USD", dtype=object))
    utm_campaign.append(np.full(n_org, None, dtype=object))
    c = np.concatenate(created)
    n = c.size
    cur = np.concatenate(camp_cur)
    cur = np.where(
        rng.random(n) < 0.25, np.array(ORDER_CURRENCIES, dtype=object)[rng.integers(0, 4, n)], cur
    )
    gross = np.round(np.exp(rng.normal(4.0, 0.6, n)), 2)
    pc_ = np.concatenate(promo)
    discount = np.where(pc_ != None, np.round(gross * 0.1, 2), 0.0)  # noqa: E711
    net = np.round(gross - discount, 2)
    cogs = np.where(rng.random(n) < 0.1, np.nan, np.round(gross * rng.uniform(0.3, 0.5, n), 2))
    arrive = c + np.where(
        rng.random(n) < 0.1, rng.integers(1, 4, n) * 86_400, rng.uniform(1, 600, n)
    )
    refund_at = arrive + rng.uniform(2, 12, n) * 86_400
    refunded = (rng.random(n) < 0.08) & (refund_at < t_end)
    refunded_amount = np.where(
        refunded, np.where(rng.random(n) < 0.7, net, np.round(net / 2, 2)), 0.0
    )
    updated = np.where(refunded, refund_at, arrive)
    keep = (c >= t0) & (c < t_end) & (arrive < t_end)
    order = np.argsort(c[keep], kind="stable")

    def k(a: np.ndarray) -> np.ndarray:
        return a[keep][order]

    m = int(keep.sum())
    return {
        "order_id": np.array([f"{100000 + i}" for i in range(m)], dtype=object),
        "created_at": k(c),
        "updated_at": k(updated),
        "status": k(np.where(refunded, "refunded", "paid").astype(object)),
        "currency": k(cur),
        "gross_amount": k(gross),
        "discount_amount": k(discount),
        "net_amount": k(net),
        "refunded_amount": k(refunded_amount),
        "cogs_amount": k(cogs),
        "promo_code": k(pc_),
        "utm_source": k(where_or_none(np.concatenate(utm) != None, "instagram")),  # noqa: E711
        "utm_campaign": k(np.concatenate(utm_campaign)),
        "utm_content": k(np.concatenate(utm)),
        "customer_id": np.array(
            [f"cust-{x}" for x in rng.integers(1, 5000, n)[keep][order]], dtype=object
        ),
    }


def orders_table(metadata: Any, name: str = TABLE) -> Any:
    """The shop's orders table (SQLAlchemy Core; the DESIGN section 11 columns)."""
    import sqlalchemy as sa

    return sa.Table(
        name, metadata,
        sa.Column("order_id", sa.String(40), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
        sa.Column("status", sa.String(20)),
        sa.Column("currency", sa.String(3)),
        sa.Column("gross_amount", sa.Numeric(12, 2)),
        sa.Column("discount_amount", sa.Numeric(12, 2)),
        sa.Column("net_amount", sa.Numeric(12, 2)),
        sa.Column("refunded_amount", sa.Numeric(12, 2)),
        sa.Column("cogs_amount", sa.Numeric(12, 2), nullable=True),
        sa.Column("promo_code", sa.String(40)),
        sa.Column("utm_source", sa.String(40)),
        sa.Column("utm_campaign", sa.String(80)),
        sa.Column("utm_content", sa.String(80)),
        sa.Column("customer_id", sa.String(40)),
    )  # fmt: skip


def to_records(cols: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Rows for an INSERT: naive UTC datetimes, None for missing values."""
    out: dict[str, list[Any]] = {}
    for name, a in cols.items():
        if name in ("created_at", "updated_at"):
            out[name] = [
                dt.datetime.fromtimestamp(float(x), dt.UTC).replace(tzinfo=None, microsecond=0)
                for x in a
            ]
        elif a.dtype.kind == "f":
            out[name] = [None if np.isnan(x) else float(x) for x in a]
        else:
            out[name] = [None if x is None else str(x) for x in a]
    names = list(out)
    return [dict(zip(names, row, strict=True)) for row in zip(*out.values(), strict=True)]


def write_orders(url: str, cols: dict[str, np.ndarray], table: str = TABLE) -> None:
    """Create (replace) the orders table at ``url`` and insert the rows."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        md = sa.MetaData()
        t = orders_table(md, table)
        md.drop_all(engine, tables=[t])
        md.create_all(engine)
        with engine.begin() as conn:
            rows = to_records(cols)
            for i in range(0, len(rows), 20_000):
                conn.execute(t.insert(), rows[i : i + 20_000])
    finally:
        engine.dispose()


def write_demo_shop(
    world: World, folder: Path | str, start: dt.date, end: dt.date
) -> tuple[Path, str]:
    """Write ``campaigns.yaml`` and ``shop.sqlite`` into ``folder``; returns (campaigns path,
    SQLAlchemy URL of the orders database). Same world and days, same files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "campaigns.yaml"
    path.write_text(yaml.safe_dump(campaigns_document(world, start, end), sort_keys=False))
    db = folder / "shop.sqlite"
    url = f"sqlite:///{db.resolve()}"
    write_orders(url, demo_orders(world, start, end))
    return path, url
