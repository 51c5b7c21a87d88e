"""Builders of the fake-traffic marts: ``fraud_flags`` and ``audience_quality``.

Both are SQL models (``sql/marts/fraud_flags.sql``, ``sql/marts/audience_quality.sql``) built by the mart
runner (:mod:`pipeline.flows.marts`) like every mart; :func:`prepare` registers what they need
beyond the warehouse views:

* ``follower_classes``: the day's ``stg_follower_samples`` labelled by
  :func:`pipeline.fraud.classify.classify_profiles` (Python/Arrow, vectorised), registered in
  DuckDB as an Arrow table: ``category`` with the population prior and ``audience_category``
  with the prior of the follower's own audience (``fraud_audience_history`` plus the day),
  computed once for both marts of a day (kept while its input files stay the same);
* the thresholds of ``expectations/marts/fraud_flags.json`` as DuckDB variables
  (:mod:`pipeline.fraud.thresholds`), and the classifier's error rates that
  ``authenticity_pct_28d`` corrects for (:func:`classifier_variables`).

The signal models ``sql/fraud_<name>.sql`` are registered as views (``fraud_growth``,
``fraud_posts``, ...; ``audience_composition`` and ``engagement_peers`` are shared by both
marts), then the runner runs the mart's SQL and writes the partition.
The pipeline reads no ground truth: only staging tables and other marts.

Order: ``fraud_flags`` reads ``influencer_daily`` of the day and ``audience_quality`` of the
day before (a credible audience explains a spike with less); ``audience_quality`` reads
``fraud_flags`` (the day and the 27 before) and its own 27 earlier days. ``MARTS`` lists them in
that order; days run in date order.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import SOURCE_TABLES
from pipeline.fraud import thresholds
from pipeline.fraud.classify import (
    SHARE_SENSITIVITY,
    SHARE_SPECIFICITY,
    audience_prior_log_odds,
    classify_profiles,
    recategorize,
)
from pipeline.memory import release_memory
from pipeline.sqlfiles import macros_sql, sql_text
from pipeline.warehouse.storage import Warehouse

log = logging.getLogger(__name__)

#: The view of each account's earlier follower samples (name, SQL file stem): registered before
#: the follower samples are classified, which need it for their audience's prior.
HISTORY_VIEW = ("audience_history", "intermediate/fraud_audience_history")

#: Helper views (name -> SQL file stem), registered in this order before a mart's SQL runs.
SIGNAL_VIEWS: dict[str, str] = {
    "audience_composition": "intermediate/fraud_audience_composition",
    "engagement_peers": "intermediate/fraud_engagement_peers",
    "follower_growth": "intermediate/fraud_follower_growth",
    "first_day_reach": "intermediate/fraud_first_day_reach",
    "fraud_growth": "intermediate/fraud_growth",
    "fraud_engagement": "intermediate/fraud_engagement",
    "fraud_decoupling": "intermediate/fraud_decoupling",
    "fraud_posts": "intermediate/fraud_posts",
    "fraud_delivery": "intermediate/fraud_delivery",
    "fraud_authenticity": "intermediate/fraud_authenticity",
}

_PROFILE_COLUMNS = (
    "follower_count",
    "following_count",
    "media_count",
    "has_profile_pic",
    "is_private",
    "biography_length",
    "username_length",
    "username_digit_count",
    "account_age_days",
)


def classifier_variables() -> dict[str, float]:
    """The DuckDB variables of the profile classifier's error rates (sensitivity and
    specificity of ``suspicious`` on public labelled accounts, :data:`SHARE_SENSITIVITY` and
    :data:`SHARE_SPECIFICITY`), with which ``fraud_audience_composition`` turns the pooled
    suspicious share into an estimate of the true bot share (Rogan-Gladen)."""
    return {
        "fraud_classifier_sensitivity": SHARE_SENSITIVITY,
        "fraud_classifier_specificity": SHARE_SPECIFICITY,
    }


def all_sql() -> list[str]:
    """Every SQL text the fraud marts run (for the threshold check)."""
    stems = [HISTORY_VIEW[1], *SIGNAL_VIEWS.values(), "marts/fraud_flags", "marts/audience_quality"]
    return [macros_sql(), *(sql_text(s) for s in stems)]


def _keys(table: pa.Table) -> pa.ChunkedArray:
    """One string per row naming its account (platform and account id)."""
    return pc.binary_join_element_wise(table["platform"], table["account_id"], "\x1f")


def pooled_counts(classes: pa.Table, history: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``classes``: (suspicious, sampled) followers of its account over the day's
    sample (``classes``) and the earlier days' (``history``: platform, account_id, sampled,
    suspicious; an account without a row there has none)."""
    keys = _keys(classes)
    today = (
        pa.table({"key": keys, "suspicious": pc.equal(classes["category"], "suspicious")})
        .group_by("key")
        .aggregate([("suspicious", "sum"), ("suspicious", "count")])
    )
    earlier = pc.index_in(today["key"], value_set=_keys(history))

    def earlier_of(column: str) -> np.ndarray:
        values = pc.fill_null(pc.take(history[column].cast(pa.float64()), earlier), 0.0)
        return np.asarray(values.to_numpy(), dtype=np.float64)

    suspicious = today["suspicious_sum"].to_numpy() + earlier_of("suspicious")
    sampled = today["suspicious_count"].to_numpy() + earlier_of("sampled")
    row = pc.index_in(keys, value_set=today["key"]).to_numpy()
    return suspicious[row], sampled[row]


def classified_samples(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The day's follower samples (``stg_follower_samples`` at ``getvariable('dt')``) with
    ``category`` and ``p_suspicious`` from the profile classifier (population prior), and
    ``audience_category``: the category when the prior is the account's own bot rate, from the
    followers it had classified suspicious in the day's and the 27 earlier days' samples
    (view ``audience_history``)."""
    cols = ", ".join(f'"{c}"' for c in _PROFILE_COLUMNS)
    samples = con.sql(
        f"select platform, account_id, {cols} from stg_follower_samples "
        "where dt = getvariable('dt')"
    ).to_arrow_table()
    classes = classify_profiles(samples)
    history = con.sql(
        f"select platform, account_id, sampled, suspicious from {HISTORY_VIEW[0]}"
    ).to_arrow_table()
    prior = audience_prior_log_odds(*pooled_counts(classes, history))
    return classes.append_column("audience_category", recategorize(classes, prior))


#: The columns of the classified samples that ``fraud_audience_composition`` reads: only those are
#: kept (and registered as ``follower_classes``) while the fraud marts of a day are built.
CLASS_COLUMNS = ("platform", "account_id", "following_count", "category", "audience_category")

#: The last day's classified samples and the fingerprint of the files they came from: both
#: fraud marts of a day need them, and a run builds those one after the other.
_last_classified: dict[tuple[object, ...], pa.Table] = {}


def _inputs(wh: Warehouse, dt: date) -> tuple[object, ...]:
    """Fingerprint of what :func:`classified_samples` reads for ``dt``: the versions of the
    follower samples and ``audience_quality`` tables (every write is a new version)."""
    tables = [("staging", SOURCE_TABLES["follower_samples"].staging), ("marts", "audience_quality")]
    return (wh.uri, dt, *(wh.table_version(layer, name) for layer, name in tables))


def _classified(con: duckdb.DuckDBPyConnection, wh: Warehouse, dt: date) -> pa.Table:
    key = _inputs(wh, dt)
    if key not in _last_classified:
        _last_classified.clear()
        _last_classified[key] = classified_samples(con).select(list(CLASS_COLUMNS))
        release_memory()  # the classifier's work arrays, before the marts' SQL runs
    return _last_classified[key]


def prepare(con: duckdb.DuckDBPyConnection, wh: Warehouse, first: date, last: date) -> None:
    """Register the thresholds, the classified follower samples of day ``last`` and the signal
    views on ``con`` (which already has the warehouse views, the macros and the day variable)."""
    values = thresholds.thresholds() | classifier_variables()
    thresholds.check_sql(all_sql(), values)
    thresholds.set_variables(con, values)
    con.execute(f'create or replace temp view "{HISTORY_VIEW[0]}" as {sql_text(HISTORY_VIEW[1])}')
    con.register("follower_classes", _classified(con, wh, last))
    for name, stem in SIGNAL_VIEWS.items():
        con.execute(f'create or replace temp view "{name}" as {sql_text(stem)}')
