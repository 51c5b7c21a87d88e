"""Numbers as spreadsheets and agency lists write them, read in SQL (DuckDB), one rule for every
file drop (ad-manager exports, influencer lists).

A cell is ``[sign] mantissa [suffix]``, around it currency signs or codes (``$ € £ ¥``, ``USD``,
``EUR``, ``GBP``, ``CHF``), ``~``/``≈``/``ca.`` and a trailing ``+`` (``10k+``), all ignored.

* Suffixes: ``k``/``tsd`` x 1,000; ``m``/``mm``/``mio``/``mn``/``mln``/``million`` x 1,000,000;
  ``b``/``bn``/``mrd``/``billion`` x 1,000,000,000; ``%`` x 0.01. Case and a space before the
  suffix do not matter (``1.2k``, ``3.4M``, ``1,1 Mio.``, ``4,5 %``).
* Separators: spaces (also non-breaking and narrow ones) and apostrophes (``12 345``,
  ``12'345``) always group thousands. With both ``.`` and ``,`` the last one is the decimal
  mark (``1,234.5``, ``1.234,5``). One kind repeated groups thousands (``1,234,567``,
  ``1.234.567``). A single ``.`` or ``,`` is a decimal mark, except the ambiguous case:
  1-3 digits (not a lone ``0``), the mark, exactly 3 digits, no suffix (``12,345``,
  ``12.345``, ``1.500``) reads as thousands, since counts are what lists hold; ``0.345``,
  ``12,34``, ``1,2k`` and ``4,5%`` are decimals.
* Integer columns take whole numbers only, unless a suffix made them approximate (``1.25k`` ->
  1250, ``1.2345k`` -> 1235): ``12.5`` followers or ``4.5%`` followers are no integer (NULL,
  hence a type failure: a column of percentages loaded as counts is caught).
"""

from __future__ import annotations

#: Suffix -> factor.
SUFFIXES: dict[str, float] = {
    "k": 1e3, "tsd": 1e3, "thousand": 1e3,
    "m": 1e6, "mm": 1e6, "mio": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "millionen": 1e6,
    "b": 1e9, "bn": 1e9, "mrd": 1e9, "billion": 1e9, "billionen": 1e9,
    "%": 0.01,
}  # fmt: skip
_ALT = "|".join(sorted((s for s in SUFFIXES if s != "%"), key=len, reverse=True)) + "|%"
#: sign, mantissa (digits in groups joined by . , ' ’ or a space), suffix, optional final dot
PATTERN = rf"^([+-]?)([0-9]+(?:[.,'’ ][0-9]+)*)? ?({_ALT})?\.?$"


def _let(value: str, name: str, body: str) -> str:
    """SQL binding ``value`` to ``name`` once for ``body`` (a one-element list and a lambda):
    keeps the expression small where a value is used many times."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def clean_sql(col: str) -> str:
    """The cell text lower-cased, spaces unified, currency marks and approximation marks gone."""
    s = f"lower(regexp_replace(trim({col}), '[\u00a0\u202f\u2009\u2007]', ' ', 'g'))"
    s = f"regexp_replace({s}, '[$€£¥~≈]|\\b(usd|eur|gbp|chf|ca\\.)\\b', '', 'g')"
    s = f"regexp_replace({s}, '\\+$', '')"
    return f"trim(regexp_replace({s}, '\\s+', ' ', 'g'))"


def _parts_sql(col: str) -> str:
    """SQL: the struct (sign, mant, suf) of a number cell; all '' when it is no number."""
    pat = PATTERN.replace("'", "''")
    return f"regexp_extract({clean_sql(col)}, '{pat}', ['sign', 'mant', 'suf'])"


def suffix_sql(col: str) -> str:
    """The suffix of a number cell (``''`` without one; NULL for a NULL cell)."""
    return f"{_parts_sql(col)}.suf"


def _decimal_mark(m: str, suffix: str) -> str:
    """SQL: the decimal mark of mantissa ``m`` (spaces/apostrophes removed): '.', ',' or ''."""
    dots = f"(length({m}) - length(replace({m}, '.', '')))"
    commas = f"(length({m}) - length(replace({m}, ',', '')))"
    last = f"case when strpos(reverse({m}), '.') < strpos(reverse({m}), ',') then '.' else ',' end"
    single = f"case when {dots} = 1 then '.' else ',' end"
    return (
        f"case when {dots} > 0 and {commas} > 0 then {last} "
        f"when {dots} + {commas} <> 1 then '' "
        f"when {suffix} <> '' then {single} "
        f"when regexp_full_match({m}, '[1-9][0-9]{{0,2}}[.,][0-9]{{3}}') then '' "
        f"else {single} end"
    )


def number_sql(
    col: str, *, integer: bool = False, rounding: bool = False, scale: float = 1.0
) -> str:
    """SQL reading a number cell (see the module doc) as DOUBLE, or BIGINT with ``integer``;
    NULL for NULL and for text that is no number. With ``rounding`` an integer column rounds
    any fraction (ad reports: data-driven attribution gives ``3.5`` conversions). ``scale``
    multiplies (a header unit: ``Followers (k)``) and, like a suffix, makes a count approximate."""
    plain = (
        "case d when '.' then replace(m, ',', '') "
        "when ',' then replace(replace(m, '.', ''), ',', '.') "
        "else replace(replace(m, '.', ''), ',', '') end"
    )
    factor = " ".join(f"when '{k}' then {v!r}" for k, v in SUFFIXES.items())
    value = (
        f"case when m <> '' then try_cast(p.sign || {_let(_decimal_mark('m', 'p.suf'), 'd', plain)}"
        f" as double) * case p.suf {factor} else 1.0 end * {scale!r} end"
    )
    if not integer:
        # rounded to 10 decimals: 3.1 * 0.01 is 0.031, not 0.031000000000000003
        result = "case when isfinite(v) then round(v, 10) end"
    else:
        approximate = f"p.suf <> '' or {scale != 1.0}"
        result = (
            f"case when p.suf = '%' then null "
            f"when {approximate} or v = floor(v) or {rounding} then try_cast(round(v) as bigint) end"
        )
    body = _let(value, "v", result)
    mant = "regexp_replace(p.mant, '[ ''’]', '', 'g')"
    return _let(_parts_sql(col), "p", _let(mant, "m", body))
