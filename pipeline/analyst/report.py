"""``clout report``: one self-contained HTML page of plots and tables over the marts.

The page needs no network when it is opened: the charts are Vega-Lite specs (built with altair,
data inlined) drawn by vega-embed, and the JavaScript of vega, vega-lite and vega-embed is
inlined once in the page from the bundle the ``vl-convert-python`` package ships
(``vl_convert.javascript_bundle()``, the same bundle ``altair``'s ``inline=True`` uses).

Every chart reports to ``window.cloutReport`` (``expected``, ``rendered``, ``errors``) so that a
test (or a curious analyst in the browser console) can tell the page drew what it promised.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.analyst.export import format_value

if TYPE_CHECKING:
    import altair as alt
    import duckdb

    from pipeline.warehouse.storage import Warehouse

#: Step names passed to ``on_step`` while a report is built (the CLI's progress bar).
STEPS: tuple[str, ...] = (
    "campaigns", "influencers", "audience", "growth", "shortlist", "javascript", "page",
)  # fmt: skip
WIDTH = 720
GROWTH_ACCOUNTS = 8
SEVERITY_ORDER = (
    "case severity when 'high' then 0 when 'medium' then 1 when 'low' then 2 else 3 end"
)


@dataclass(frozen=True)
class ReportWindow:
    """The days a report covers: the ``days`` days ending ``last``; lift compares the last
    ``lift_days`` of them with the ``lift_days`` before."""

    last: date
    days: int = 28

    @property
    def first(self) -> date:
        return self.last - timedelta(days=self.days - 1)

    @property
    def lift_days(self) -> int:
        return max(1, self.days // 2)


@dataclass
class Section:
    """One part of the page: a title, a sentence on how to read it, charts and tables."""

    key: str
    title: str
    note: str
    charts: list[dict[str, Any]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    empty: str = ""


# ------------------------------------------------------------------------------ queries
def _frame(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> pd.DataFrame:
    return con.execute(sql, params).df() if params else con.sql(sql).df()


def _window(w: ReportWindow) -> dict[str, Any]:
    return {"first": w.first, "last": w.last}


def campaign_trend(con: duckdb.DuckDBPyConnection, w: ReportWindow) -> pd.DataFrame:
    """Per campaign and day: totals and ROAS, CTR, CVR (NULL on a zero denominator), long
    format (one row per metric) for the chart."""
    wide = _frame(
        con,
        """
        select campaign_id, strftime(dt, '%Y-%m-%d') as dt,
            sum(impressions) as impressions, sum(clicks) as clicks,
            sum(conversions) as conversions, sum(revenue) as revenue, sum(ad_spend) as ad_spend
        from campaign_daily where dt between $first and $last
        group by campaign_id, dt order by campaign_id, dt
        """,
        **_window(w),
    )
    if wide.empty:
        return wide
    ratios = {
        "ROAS": wide["revenue"] / wide["ad_spend"].where(wide["ad_spend"] != 0),
        "CTR": wide["clicks"] / wide["impressions"].where(wide["impressions"] != 0),
        "CVR": wide["conversions"] / wide["clicks"].where(wide["clicks"] != 0),
    }
    parts = [
        pd.DataFrame(
            {
                "campaign_id": wide["campaign_id"],
                "dt": wide["dt"],
                "metric": name,
                "value": values.astype(float),
            }
        )  # fmt: skip
        for name, values in ratios.items()
    ]
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"])


def campaign_lift(wh: Warehouse, w: ReportWindow) -> pd.DataFrame:
    """``campaign_summary`` as of the last day, lift of the last ``lift_days`` against the
    ``lift_days`` before (computed, not read: the stored mart's period may be longer than the
    report's window)."""
    from pipeline.campaigns.attribution import prepare_summary
    from pipeline.flows.marts import compute_mart

    period = partial(prepare_summary, period_days=w.lift_days)
    return compute_mart(wh, "campaign_summary", w.last, prepare=period).to_pandas()


def influencer_spend(con: duckdb.DuckDBPyConnection, w: ReportWindow) -> pd.DataFrame:
    """Spend and revenue per campaign and influencer over the window."""
    return _frame(
        con,
        """
        with handles as (
            select platform, account_id, arg_max(handle, dt) as handle
            from influencer_daily where dt <= $last group by platform, account_id
        )
        select c.campaign_id, c.platform, c.account_id,
            coalesce(h.handle, c.account_id) as handle,
            sum(c.ad_spend) as ad_spend, sum(c.revenue) as revenue,
            sum(c.revenue) / nullif(sum(c.ad_spend), 0) as roas
        from campaign_daily c left join handles h using (platform, account_id)
        where c.dt between $first and $last and c.account_id is not null
        group by all order by ad_spend desc
        """,
        **_window(w),
    )


def audience(con: duckdb.DuckDBPyConnection, w: ReportWindow) -> pd.DataFrame:
    """Audience quality per account on the last day, with its account flags in words."""
    return _frame(
        con,
        f"""
        with flags as (
            select platform, account_id, count(*) as flags,
                min({SEVERITY_ORDER}) as worst,
                string_agg(signal || ': ' || explanation, ' | ' order by {SEVERITY_ORDER})
                    as explanations
            from fraud_flags
            where dt = $last and account_id is not null
            group by platform, account_id
        )
        select q.platform, q.account_id, coalesce(d.handle, q.account_id) as handle,
            q.authenticity_pct, q.suspicious_pct, q.reachability_pct,
            q.audience_quality_score,
            coalesce(f.flags, 0) as flags,
            case f.worst when 0 then 'high' when 1 then 'medium' when 2 then 'low'
                when 3 then 'info' else 'none' end as worst_flag,
            f.explanations
        from audience_quality q
        left join influencer_daily d on d.platform = q.platform
            and d.account_id = q.account_id and d.dt = q.dt
        left join flags f on f.platform = q.platform and f.account_id = q.account_id
        where q.dt = $last and q.authenticity_pct is not null
        order by q.audience_quality_score
        """,
        last=w.last,
    )


def flag_table(con: duckdb.DuckDBPyConnection, w: ReportWindow, limit: int = 60) -> pd.DataFrame:
    """The day's fraud flags, worst first, with their explanations."""
    return _frame(
        con,
        f"""
        select f.severity, f.signal, f.entity_type, f.platform,
            coalesce(d.handle, f.account_id, f.entity_id) as account, f.campaign_id,
            f.observed, f.threshold, f.explanation
        from fraud_flags f
        left join influencer_daily d on d.platform = f.platform
            and d.account_id = f.account_id and d.dt = f.dt
        where f.dt = $last
        order by {SEVERITY_ORDER}, f.signal, account
        limit {int(limit)}
        """,
        last=w.last,
    )


def growth(con: duckdb.DuckDBPyConnection, w: ReportWindow) -> pd.DataFrame:
    """Followers per day of the accounts with growth flags in the window (then the fastest
    growing), with ``spike`` set on the flagged days."""
    return _frame(
        con,
        f"""
        with growth_flags as (
            select platform, account_id, dt, string_agg(signal, ', ') as spike
            from fraud_flags
            where dt between $first and $last
                and signal in ('follower_spike', 'follower_purge')
            group by platform, account_id, dt
        ),
        picked as (
            select d.platform, d.account_id,
                count(g.spike) as flagged_days,
                max(abs(d.growth_rate)) as fastest
            from influencer_daily d
            left join growth_flags g using (platform, account_id, dt)
            where d.dt between $first and $last
            group by d.platform, d.account_id
            order by flagged_days desc, fastest desc nulls last, d.platform, d.account_id
            limit {GROWTH_ACCOUNTS}
        )
        select d.platform || ' ' || coalesce(d.handle, d.account_id) as account,
            strftime(d.dt, '%Y-%m-%d') as dt, d.followers, d.follower_delta, d.growth_rate,
            g.spike
        from influencer_daily d
        join picked using (platform, account_id)
        left join growth_flags g using (platform, account_id, dt)
        where d.dt between $first and $last
        order by account, d.dt
        """,
        **_window(w),
    )


def shortlist(
    con: duckdb.DuckDBPyConnection, w: ReportWindow, brief: str | None, top: int
) -> pd.DataFrame:
    """The top ``top`` accounts of each brief (or of ``brief``) on the last day."""
    where = "and s.brief_id = $brief" if brief else ""
    params: dict[str, Any] = {"last": w.last, **({"brief": brief} if brief else {})}
    return _frame(
        con,
        f"""
        select s.brief_id, s.rank, s.platform, coalesce(d.handle, s.account_id) as handle,
            s.followers, s.category, s.score, s.quality_score, s.audience_fit, s.niche_fit,
            s.authenticity_pct, s.engagement_rate, s.est_post_price, s.expected_cpm
        from influencer_scores s
        left join influencer_daily d on d.platform = s.platform
            and d.account_id = s.account_id and d.dt = s.dt
        where s.dt = $last and s.rank <= {int(top)} {where}
        order by s.brief_id, s.rank
        """,
        **params,
    )


# ------------------------------------------------------------------------------ charts
def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict()


def trend_chart(trend: pd.DataFrame) -> dict[str, Any]:
    """ROAS, CTR and CVR per campaign and day, one panel per metric."""
    import altair as alt

    base = alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("dt:T", title="day", axis=alt.Axis(format="%b %d", tickCount="day")),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("campaign_id:N", title="campaign"),
        tooltip=["campaign_id", "dt", "metric", alt.Tooltip("value:Q", format=",.4f")],
    )  # fmt: skip
    return _spec(
        base.properties(width=WIDTH, height=150)
        .facet(row=alt.Row("metric:N", title=None, sort=["ROAS", "CTR", "CVR"]))
        .resolve_scale(y="independent")
    )


def lift_chart(lift: pd.DataFrame) -> dict[str, Any] | None:
    """Lift % of CTR, CVR, ROAS and impressions per campaign."""
    import altair as alt

    cols = ["ctr_lift_pct", "cvr_lift_pct", "roas_lift_pct", "impressions_lift_pct"]
    long = lift.melt(id_vars=["campaign_id"], value_vars=cols, var_name="metric", value_name="pct")
    long = long.dropna(subset=["pct"])
    if long.empty:
        return None
    long["metric"] = long["metric"].str.replace("_lift_pct", "").str.upper()
    chart = alt.Chart(long).mark_bar().encode(
        y=alt.Y("campaign_id:N", title=None),
        x=alt.X("pct:Q", title="lift %"),
        color=alt.condition("datum.pct >= 0", alt.value("#2e7d32"), alt.value("#c62828")),
        row=alt.Row("metric:N", title=None),
        tooltip=["campaign_id", "metric", alt.Tooltip("pct:Q", format="+.1f")],
    ).properties(width=WIDTH - 120, height=alt.Step(14))  # fmt: skip
    return _spec(chart.resolve_scale(x="independent"))


def spend_chart(spend: pd.DataFrame) -> dict[str, Any]:
    """Spend against revenue per influencer; the diagonal is ROAS = 1."""
    import altair as alt

    top = float(max(spend["ad_spend"].max(), spend["revenue"].max(), 1.0))
    diagonal = alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top]})).mark_line(
        strokeDash=[4, 4], color="#888"
    ).encode(x="x:Q", y="y:Q")  # fmt: skip
    points = alt.Chart(spend).mark_circle(size=80, opacity=0.8).encode(
        x=alt.X("ad_spend:Q", title="ad spend (campaign currency)"),
        y=alt.Y("revenue:Q", title="attributed revenue"),
        color=alt.Color("campaign_id:N", title="campaign"),
        tooltip=["campaign_id", "platform", "handle", alt.Tooltip("ad_spend:Q", format=",.2f"),
                 alt.Tooltip("revenue:Q", format=",.2f"), alt.Tooltip("roas:Q", format=".2f")],
    )  # fmt: skip
    return _spec((diagonal + points).properties(width=WIDTH, height=360))


def audience_chart(aud: pd.DataFrame) -> dict[str, Any]:
    """Authenticity against audience quality score per account, coloured by its worst flag;
    the rule is the market's 75 % authenticity line."""
    import altair as alt

    rule = alt.Chart(pd.DataFrame({"x": [75.0]})).mark_rule(color="#c62828", strokeDash=[4, 4])
    rule = rule.encode(x="x:Q")
    scale = alt.Scale(
        domain=["high", "medium", "low", "info", "none"],
        range=["#c62828", "#ef6c00", "#f9a825", "#1565c0", "#9e9e9e"],
    )
    points = alt.Chart(aud).mark_circle(size=70, opacity=0.85).encode(
        x=alt.X("authenticity_pct:Q", title="authenticity % (real + influencer followers)",
                scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("audience_quality_score:Q", title="audience quality score (0-100)",
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("worst_flag:N", title="worst fraud flag", scale=scale),
        tooltip=["platform", "handle", alt.Tooltip("authenticity_pct:Q", format=".1f"),
                 alt.Tooltip("audience_quality_score:Q", format=".1f"), "flags",
                 "explanations"],
    )  # fmt: skip
    return _spec((rule + points).properties(width=WIDTH, height=360))


def growth_chart(gr: pd.DataFrame) -> dict[str, Any]:
    """Followers per day per account; flagged days (spikes, purges) marked in red."""
    import altair as alt

    lines = alt.Chart(gr).mark_line().encode(
        x=alt.X("dt:T", title="day", axis=alt.Axis(format="%b %d", tickCount="day")),
        y=alt.Y("followers:Q", title="followers", scale=alt.Scale(zero=False)),
        color=alt.Color("account:N", title="account"),
        tooltip=["account", "dt", alt.Tooltip("followers:Q", format=","),
                 alt.Tooltip("follower_delta:Q", format="+,"),
                 alt.Tooltip("growth_rate:Q", format="+.2%")],
    )  # fmt: skip
    spikes = alt.Chart(gr).transform_filter("datum.spike != null").mark_point(
        shape="triangle-up", size=160, filled=True, color="#c62828"
    ).encode(x="dt:T", y="followers:Q", tooltip=["account", "dt", "spike",
                                                 alt.Tooltip("follower_delta:Q", format="+,")])  # fmt: skip
    chart = (lines + spikes).properties(width=WIDTH, height=110)
    return _spec(chart.facet(row=alt.Row("account:N", title=None)).resolve_scale(y="independent"))


def shortlist_chart(short: pd.DataFrame) -> dict[str, Any]:
    """Score per shortlisted account, one panel per brief."""
    import altair as alt

    chart = alt.Chart(short).mark_bar().encode(
        y=alt.Y("handle:N", sort="-x", title=None),
        x=alt.X("score:Q", title="score"),
        color=alt.Color("platform:N"),
        row=alt.Row("brief_id:N", title=None),
        tooltip=["brief_id", "rank", "platform", "handle", alt.Tooltip("score:Q", format=".3f"),
                 alt.Tooltip("quality_score:Q", format=".1f"),
                 alt.Tooltip("audience_fit:Q", format=".2f"),
                 alt.Tooltip("niche_fit:Q", format=".2f"),
                 alt.Tooltip("est_post_price:Q", format=",.0f")],
    ).properties(width=WIDTH - 160, height=alt.Step(16)).resolve_scale(y="independent")  # fmt: skip
    return _spec(chart)


# ------------------------------------------------------------------------------ sections
def build_sections(
    wh: Warehouse,
    w: ReportWindow,
    brief: str | None = None,
    top: int = 10,
    on_step: Callable[[str], object] | None = None,
) -> list[Section]:
    """Query the warehouse and build every section (charts as Vega-Lite specs)."""
    from pipeline.warehouse.catalog import connect, register_views

    step = on_step or (lambda _s: None)
    con = connect()
    try:
        register_views(con, wh)
        camp = Section(
            "campaigns", "Campaigns: ROAS, CTR and CVR over time",
            f"Daily ratios per campaign from campaign_daily. Lift: the last {w.lift_days} days "
            f"against the {w.lift_days} days before (campaign_summary's definition).",
        )  # fmt: skip
        trend = campaign_trend(con, w)
        if trend.empty:
            camp.empty = "no campaign_daily rows in this window"
        else:
            camp.charts.append(trend_chart(trend))
            lift = campaign_lift(wh, w)
            chart = lift_chart(lift)
            if chart:
                camp.charts.append(chart)
            camp.tables.append(("campaign to date, with lift", lift[[
                "campaign_id", "currency", "first_dt", "last_dt", "impressions", "clicks",
                "conversions", "revenue", "ad_spend", "roas", "ctr", "cvr", "roas_lift_pct",
                "ctr_lift_pct", "cvr_lift_pct", "impressions_lift_pct"]]))  # fmt: skip
        step("campaigns")

        infl = Section(
            "influencers", "Spend against revenue per influencer",
            "One point per campaign and influencer over the window; points above the dashed "
            "diagonal returned more than they cost (ROAS > 1).",
        )  # fmt: skip
        spend = influencer_spend(con, w)
        if spend.empty:
            infl.empty = "no influencer rows in campaign_daily in this window"
        else:
            infl.charts.append(spend_chart(spend))
        step("influencers")

        aud_sec = Section(
            "audience", "Audience quality, authenticity and fraud flags",
            f"Accounts on {w.last}: authenticity against the audience quality score, coloured "
            "by the worst fraud flag of the day; left of the dashed line (75 %) is the market's "
            "sign of bought followers. The table lists the day's flags with their explanation.",
        )  # fmt: skip
        aud = audience(con, w)
        if aud.empty:
            aud_sec.empty = f"no audience_quality rows on {w.last}"
        else:
            aud_sec.charts.append(audience_chart(aud))
        flags = flag_table(con, w)
        if not flags.empty:
            aud_sec.tables.append((f"fraud flags on {w.last}, worst first", flags))
        step("audience")

        gr_sec = Section(
            "growth", "Follower growth, spikes marked",
            f"Followers per day of the accounts with follower spikes or purges flagged in the "
            f"window (then the fastest growing; {GROWTH_ACCOUNTS} at most). Red triangles: "
            "flagged days.",
        )  # fmt: skip
        gr = growth(con, w)
        if gr.empty:
            gr_sec.empty = "no influencer_daily rows in this window"
        else:
            gr_sec.charts.append(growth_chart(gr))
        step("growth")

        sl_sec = Section(
            "shortlist", "Shortlist" + (f" of brief {brief}" if brief else " of every brief"),
            f"The top {top} accounts per brief on {w.last} (influencer_scores), with the score's "
            "components.",
        )  # fmt: skip
        short = shortlist(con, w, brief, top)
        if short.empty:
            sl_sec.empty = f"no influencer_scores rows on {w.last}" + (
                f" for brief {brief}" if brief else ""
            )
        else:
            sl_sec.charts.append(shortlist_chart(short))
            sl_sec.tables.append(("shortlist", short))
        step("shortlist")
    finally:
        con.close()
    return [camp, infl, aud_sec, gr_sec, sl_sec]


# ------------------------------------------------------------------------------ page
def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(obj, default=str).replace("</", "<\\/").replace("<!--", "<\\!--")


def html_table(frame: pd.DataFrame) -> str:
    """A frame as an escaped HTML table, values formatted like ``clout query``."""
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for rec in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        cells = "".join(
            f'<td class="{"num" if c in numeric else ""}">{html.escape(format_value(v))}</td>'
            for c, v in zip(frame.columns, rec, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: .2rem; } .meta { color: #666; margin-top: 0; }
section { margin: 2.5rem 0; } .note { color: #444; } .empty { color: #999; font-style: italic; }
table { border-collapse: collapse; font-size: 12px; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
nav a { margin-right: 1rem; } .chart { margin: 1rem 0; }
"""


def render_page(sections: list[Section], w: ReportWindow, source: str, javascript: str) -> str:
    """The HTML page: the JavaScript bundle once, then each section's charts and tables."""
    specs: list[tuple[str, dict[str, Any]]] = []
    body: list[str] = []
    for s in sections:
        parts = [f'<section id="{s.key}"><h2>{html.escape(s.title)}</h2>',
                 f'<p class="note">{html.escape(s.note)}</p>']  # fmt: skip
        if s.empty:
            parts.append(f'<p class="empty">{html.escape(s.empty)}</p>')
        for i, spec in enumerate(s.charts):
            div = f"chart-{s.key}-{i}"
            specs.append((div, spec))
            parts.append(f'<div class="chart" id="{div}"></div>')
        for caption, frame in s.tables:
            parts.append(f"<h3>{html.escape(caption)}</h3>{html_table(frame)}")
        parts.append("</section>")
        body.append("\n".join(parts))
    nav = " ".join(f'<a href="#{s.key}">{html.escape(s.title.split(":")[0])}</a>' for s in sections)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    embed = "\n".join(f"  draw({_script_json(div)}, {_script_json(spec)});" for div, spec in specs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>clout report {w.first} to {w.last}</title>
<style>{_CSS}</style>
<script type="text/javascript">
// vega, vega-lite and vega-embed (from the vl-convert-python package), inlined: no network needed
{javascript}
</script>
</head>
<body>
<h1>clout report</h1>
<p class="meta">{w.first} to {w.last} ({w.days} days) &middot; warehouse {html.escape(source)}
&middot; generated {generated}</p>
<nav>{nav}</nav>
{"".join(body)}
<script type="text/javascript">
window.cloutReport = {{expected: {len(specs)}, rendered: 0, errors: []}};
function draw(id, spec) {{
  vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}})
    .then(function () {{ window.cloutReport.rendered += 1; }})
    .catch(function (err) {{ window.cloutReport.errors.push(id + ": " + err); console.error(err); }});
}}
{embed}
</script>
</body>
</html>
"""


def vega_javascript() -> str:
    """The vega + vega-lite + vega-embed bundle shipped by ``vl-convert-python``."""
    import vl_convert

    # the stubs make ``snippet`` positional; the function defaults it (the whole bundle)
    return str(vl_convert.javascript_bundle())  # type: ignore[call-arg]


def build_report(
    wh: Warehouse,
    last: date,
    days: int = 28,
    brief: str | None = None,
    top: int = 10,
    on_step: Callable[[str], object] | None = None,
) -> str:
    """The report's HTML for the ``days`` days ending ``last``. ``on_step`` gets each name of
    :data:`STEPS` as it is done."""
    if days < 1:
        raise ValueError(f"--days must be at least 1, not {days}")
    w = ReportWindow(last, days)
    step = on_step or (lambda _s: None)
    sections = build_sections(wh, w, brief, top, step)
    js = vega_javascript()
    step("javascript")
    page = render_page(sections, w, wh.uri, js)
    step("page")
    return page
