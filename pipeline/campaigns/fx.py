"""A small static FX table: the value of one unit of each currency in USD, per day.

The rates are fixed reference values (early 2026, rounded) and the same on every day; they are
good enough to add up orders in several currencies, not for accounting. The marts only read the
``fx_rates`` relation (dt, currency, usd_per_unit), so a real daily feed can replace
:func:`fx_rates` without touching the SQL. Conversion of an amount on day d from currency A to
the campaign currency C: ``amount * usd_per_unit(d, A) / usd_per_unit(d, C)``.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

#: USD per unit of each supported currency (ISO 4217). An order in any other currency is
#: quarantined (``expectations/orders.json`` lists the same set).
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CAD": 0.73,
    "AUD": 0.66,
    "CHF": 1.13,
    "JPY": 0.0067,
    "SEK": 0.095,
    "PLN": 0.25,
    "BRL": 0.18,
}

CURRENCIES: tuple[str, ...] = tuple(USD_PER_UNIT)

FX_SCHEMA = pa.schema(
    [("dt", pa.date32()), ("currency", pa.string()), ("usd_per_unit", pa.float64())]
)


def fx_rates(first: date, last: date) -> pa.Table:
    """The FX table for every day in [first, last] (one row per day and currency)."""
    n = max((last - first).days + 1, 0)
    days = [first + timedelta(days=i) for i in range(n)]
    k = len(USD_PER_UNIT)
    return pa.table(
        {
            "dt": pa.array([d for d in days for _ in range(k)], pa.date32()),
            "currency": pa.array(list(USD_PER_UNIT) * n, pa.string()),
            "usd_per_unit": pa.array(list(USD_PER_UNIT.values()) * n, pa.float64()),
        },
        schema=FX_SCHEMA,
    )


def convert(amount: float, currency: str, to: str) -> float:
    """Convert one amount with the static rates (for tests and hand checks)."""
    return amount * USD_PER_UNIT[currency] / USD_PER_UNIT[to]
