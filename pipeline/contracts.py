"""Every table of the warehouse, declared once: the single source of truth for schemas.

One :class:`Table` type for every layer: ``source`` (a platform API entity, the cast target of
its raw JSON), ``staging``, ``quarantine``, ``meta`` and ``marts``. Each has its columns, its key
(grain), the hive keys of its partitions and the folder it lives in. The DuckDB catalog, the
Airflow Assets, the DAG files, the staging engine and the mart runner all loop over this module.

Import-light on purpose: DAG files import it at parse time, so the Arrow schemas are built on
first use, not on import. The partition column ``dt`` is never stored in files: it is the hive
path (``<layer>/<folder>/dt=YYYY-MM-DD/...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = 1

Layer = Literal["source", "staging", "quarantine", "meta", "marts"]

PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube")
MEDIA_TYPES: tuple[str, ...] = ("image", "carousel", "video", "reel", "short", "story")
AUDIENCE_DIMENSIONS: tuple[str, ...] = ("age", "gender", "country", "interest")

#: Lineage columns every raw row carries.
LINEAGE_FIELDS: tuple[str, ...] = ("_run_id", "_extracted_at", "_source")


@dataclass(frozen=True)
class Column:
    """One column: name, type (``string``, ``int64``, ``float64``, ``bool``, ``timestamp`` (UTC,
    microseconds) or ``date``) and whether it may be null."""

    name: str
    type: str
    nullable: bool = True


def _arrow_type(name: str) -> pa.DataType:
    import pyarrow as pa

    types: dict[str, pa.DataType] = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
    }
    return types[name]


@dataclass(frozen=True)
class Table:
    """A warehouse table: where it lives, its columns (hive keys not stored), key and grain."""

    name: str  #: the name analysts see in DuckDB (``stg_posts``, ``quarantine_posts``, ...)
    layer: Layer
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  #: the grain: unique per partition (``dt`` implied)
    grain: str = ""  #: one sentence
    folder: str = ""  #: folder under the layer; defaults to ``name``
    partitions: tuple[str, ...] = ("dt",)  #: hive keys, outermost first
    endpoint: str = ""  #: source tables: path under the API's ``/v1/``
    pii: tuple[str, ...] = field(default=())  #: source tables: fields pseudonymised on extraction

    @property
    def path(self) -> str:
        """Folder under the layer folder."""
        return self.folder or self.name

    @cached_property
    def schema(self) -> pa.Schema:
        """The Arrow schema of the table's files."""
        import pyarrow as pa

        return pa.schema(
            [pa.field(c.name, _arrow_type(c.type), nullable=c.nullable) for c in self.columns]
        )

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns that must be present and non-null (the key and every non-nullable field)."""
        return tuple(c.name for c in self.columns if not c.nullable)

    @property
    def depth(self) -> int:
        """Hive levels under the table folder."""
        return len(self.partitions)

    @property
    def staging(self) -> str:
        """Source tables: the name of their staging table."""
        return staging_name(self.name)

    @property
    def asset_uri(self) -> str:
        """The Airflow Asset URI of the table."""
        layer = "raw" if self.layer == "source" else self.layer
        return f"clout://warehouse/{layer}/{self.name}"


def staging_name(table: str) -> str:
    """Name of the staging table of a source table."""
    return f"stg_{table}"


def _cols(*spec: tuple[str, str] | tuple[str, str, bool]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


# ---------------------------------------------------------------------------------- sources

ACCOUNTS = Table(
    name="accounts",
    layer="source",
    endpoint="accounts",
    key=("platform", "account_id"),
    grain="one row per tracked account per day (snapshot)",
    columns=_cols(
        ("platform", "string", False),
        ("account_id", "string", False),
        ("handle", "string"),
        ("display_name", "string"),
        ("category", "string"),
        ("country", "string"),
        ("language", "string"),
        ("followers", "int64", False),
        ("following", "int64"),
        ("media_count", "int64"),
        ("is_verified", "bool"),
        ("is_private", "bool"),
        ("biography_length", "int64"),
        ("created_at", "timestamp"),
    ),
)

POSTS = Table(
    name="posts",
    layer="source",
    endpoint="posts",
    key=("platform", "post_id"),
    grain="one row per post per day (metrics snapshot of posts of the last 30 days)",
    columns=_cols(
        ("platform", "string", False),
        ("post_id", "string", False),
        ("account_id", "string", False),
        ("published_at", "timestamp", False),
        ("media_type", "string"),
        ("is_sponsored", "bool"),
        ("campaign_id", "string"),
        ("promo_code", "string"),
        ("likes", "int64"),
        ("comments", "int64"),
        ("shares", "int64"),
        ("saves", "int64"),
        ("views", "int64"),
    ),
)

AUDIENCE = Table(
    name="audience",
    layer="source",
    endpoint="audience",
    key=("platform", "account_id", "dimension", "bucket"),
    grain="one row per account, audience dimension and bucket per day",
    columns=_cols(
        ("platform", "string", False),
        ("account_id", "string", False),
        ("dimension", "string", False),
        ("bucket", "string", False),
        ("share", "float64", False),
    ),
)

FOLLOWER_SAMPLES = Table(
    name="follower_samples",
    layer="source",
    endpoint="follower_samples",
    key=("platform", "account_id", "follower_id"),
    grain="one row per sampled follower of an account per day",
    pii=("follower_id",),
    columns=_cols(
        ("platform", "string", False),
        ("account_id", "string", False),
        ("follower_id", "string", False),
        ("follower_count", "int64"),
        ("following_count", "int64"),
        ("media_count", "int64"),
        ("has_profile_pic", "bool"),
        ("is_private", "bool"),
        ("biography_length", "int64"),
        ("username_length", "int64"),
        ("username_digit_count", "int64"),
        ("account_age_days", "int64"),
    ),
)

DELIVERY = Table(
    name="delivery",
    layer="source",
    endpoint="ads/delivery",
    key=("campaign_id", "platform", "ad_id"),
    grain="one row per campaign, platform and ad per day (account_id null for paid ads)",
    columns=_cols(
        ("campaign_id", "string", False),
        ("platform", "string", False),
        ("account_id", "string"),
        ("ad_id", "string", False),
        ("impressions", "int64"),
        ("reach", "int64"),
        ("clicks", "int64"),
        ("video_views", "int64"),
        ("spend", "float64"),
        ("currency", "string"),
        ("conversions", "int64"),
    ),
)

#: The platform API entities, in the order the nightly run stages them.
SOURCE_TABLES: dict[str, Table] = {
    t.name: t for t in (ACCOUNTS, POSTS, AUDIENCE, FOLLOWER_SAMPLES, DELIVERY)
}

# --------------------------------------------------------------------- brand-side inputs
# Not platform API entities: the shop's orders (SQLAlchemy), the campaigns file and ad-manager
# file drops. Declared as sources too, so one staging engine serves them all.

ORDERS = Table(
    name="orders",
    layer="source",
    key=("order_id",),
    grain="one row per shop order (its latest version), partitioned by the UTC day it was created",
    pii=("customer_id",),
    columns=_cols(
        ("order_id", "string", False),
        ("created_at", "timestamp", False),
        ("updated_at", "timestamp", False),
        ("status", "string"),
        ("currency", "string", False),
        ("gross_amount", "float64"),
        ("discount_amount", "float64"),
        ("net_amount", "float64", False),
        ("refunded_amount", "float64"),
        ("cogs_amount", "float64"),
        ("promo_code", "string"),
        ("utm_source", "string"),
        ("utm_campaign", "string"),
        ("utm_content", "string"),
        ("customer_id", "string"),
    ),
)

DELIVERY_FILES = Table(
    name="delivery_files",
    layer="source",
    key=DELIVERY.key,
    grain="one row per campaign, platform and ad per day from an ad-manager file drop "
    "(hive key source = the ingest profile or mapping name)",
    partitions=("dt", "source"),
    columns=DELIVERY.columns,
)

CAMPAIGNS = Table(
    name="campaigns",
    layer="source",
    key=("campaign_id", "platform", "account_id"),
    grain="one row per campaign and influencer (platform/account null for a campaign without "
    "influencers): the campaigns file as of the run day",
    columns=_cols(
        ("campaign_id", "string", False),
        ("brand", "string"),
        ("name", "string"),
        ("currency", "string", False),
        ("start_date", "date", False),
        ("end_date", "date", False),
        ("budget", "float64"),
        ("platform", "string"),
        ("account_id", "string"),
        ("fee", "float64", False),
        ("seeding_cost", "float64", False),
        ("promo_code", "string"),
        ("utm_content", "string"),
        ("live_date", "date"),
    ),
)


GA4_CONVERSIONS = Table(
    name="ga4_conversions",
    layer="source",
    key=("session_source", "session_medium", "session_campaign_name", "session_manual_ad_content"),
    grain="one row per GA4 session source, medium, campaign (utm_campaign) and manual ad content "
    "(utm_content) per day: a Google Analytics 4 export (`clout ingest conversions`)",
    columns=_cols(
        ("session_source", "string"),
        ("session_medium", "string"),
        ("session_campaign_name", "string"),
        ("session_manual_ad_content", "string"),
        ("sessions", "int64", False),
        ("conversions", "float64", False),
        ("revenue", "float64", False),
        ("currency", "string", False),
    ),
)

INFLUENCER_LISTS = Table(
    name="influencer_lists",
    layer="source",
    key=("platform", "handle", "account_id"),
    grain="one row per influencer (platform and handle or account id) of an agency or vendor list "
    "as of the list day (`clout ingest influencers`; hive key source = the list's name)",
    partitions=("dt", "source"),
    pii=("email",),
    columns=_cols(
        ("platform", "string", False),
        ("handle", "string"),
        ("account_id", "string"),
        ("display_name", "string"),
        ("category", "string"),
        ("country", "string"),
        ("followers", "int64"),
        ("following", "int64"),
        ("engagement_rate", "float64"),
        ("avg_likes", "float64"),
        ("avg_views", "float64"),
        ("email", "string"),
        ("profile_url", "string"),
        ("extra", "string"),
        ("source_file", "string", False),
        ("source_row", "int64", False),
        ("ingested_at", "timestamp", False),
    ),
)


#: Outcome of looking a roster account up on its platform (``roster.status``).
ROSTER_STATUSES: tuple[str, ...] = ("found", "not_found", "unchecked", "invalid")

ROSTER = Table(
    name="roster",
    layer="source",
    key=("platform", "ref"),
    grain="one row per tracked account (as the roster names it) per day, with the outcome of "
    "looking it up on its platform (raw pages land per platform, `platform=_invalid` for rows "
    "naming no known platform)",
    columns=_cols(
        ("platform", "string", False),
        ("ref", "string", False),  # the roster's reference as given: account id, or @handle
        ("account_id", "string"),  # the platform's id (given, or resolved by the lookup)
        ("handle", "string"),
        ("category", "string"),
        ("origin", "string", False),  # the roster file, or stg_influencer_lists
        ("status", "string", False),  # ROSTER_STATUSES
        ("reason", "string"),  # why an account was not found / is invalid, in words
    ),
)


def staging_of(source: Table) -> Table:
    """The staging table of a source: the same typed columns and key, layer ``staging``."""
    return replace(source, name=staging_name(source.name), layer="staging", endpoint="", folder="")


#: Lineage and reasons kept with every quarantined row (its fields stay raw text).
QUARANTINE_EXTRA: tuple[Column, ...] = _cols(
    ("_reasons", "string"),
    ("_run_id", "string"),
    ("_source", "string"),
    ("_file", "string"),
    ("_page", "int64"),
    ("_pos", "int64"),
)


def quarantine_of(source: Table) -> Table:
    """``quarantine/<source>``: the raw text of every field, the reasons, lineage."""
    return Table(
        name=f"quarantine_{source.name}",
        layer="quarantine",
        folder=source.name,
        partitions=source.partitions,
        grain=f"one row per rejected raw {source.name} row",
        columns=tuple(Column(c.name, "string") for c in source.columns) + QUARANTINE_EXTRA,
    )


# ------------------------------------------------------------------------------------- meta

PIPELINE_RUNS = Table(
    name="pipeline_runs",
    layer="meta",
    key=("run_id", "stage"),
    grain="one row per run and stage (and day); a retry replaces its run's row",
    columns=_cols(
        ("run_id", "string", False),
        ("stage", "string", False),
        ("rows_in", "int64"),
        ("rows_out", "int64"),
        ("started_at", "timestamp", False),
        ("duration_s", "float64", False),
        ("status", "string", False),
        ("error", "string"),
    ),
)

VALIDATION_RESULTS = Table(
    name="validation_results",
    layer="meta",
    key=("run_id", "expectation"),
    grain="one row per run, table, day, expectation and source",
    partitions=("dt", "source", "table"),
    columns=_cols(
        ("run_id", "string", False),
        ("expectation", "string", False),
        ("severity", "string", False),
        ("success", "bool", False),
        ("unexpected_count", "int64"),
        ("element_count", "int64", False),
    ),
)

ORDERS_WATERMARK = Table(
    name="orders_watermark",
    layer="meta",
    key=("source",),
    grain="one row per orders source and day: the updated_at watermark the day's run reached",
    columns=_cols(
        ("source", "string"),
        ("watermark", "timestamp"),
        ("previous", "timestamp"),
        ("rows", "int64"),
        ("run_id", "string"),
    ),
)

# ------------------------------------------------------------------------------------ marts

INFLUENCER_DAILY = Table(
    name="influencer_daily",
    layer="marts",
    key=("platform", "account_id"),
    grain="one row per account per day",
    columns=_cols(
        ("platform", "string", False),
        ("account_id", "string", False),
        ("handle", "string"),
        ("category", "string"),
        ("followers", "int64", False),
        ("following", "int64"),
        ("follower_delta", "int64"),
        ("growth_rate", "float64"),
        ("posts_published", "int64", False),
        ("posts_measured", "int64", False),
        ("engagement_rate", "float64"),
        ("avg_views", "float64"),
    ),
)

FRAUD_FLAGS = Table(
    name="fraud_flags",
    layer="marts",
    key=("entity_type", "platform", "entity_id", "signal"),
    grain="one row per entity (account, post or ad delivery), day and fake-traffic signal",
    columns=_cols(
        ("entity_type", "string", False),
        ("entity_id", "string", False),
        ("platform", "string", False),
        ("account_id", "string"),
        ("campaign_id", "string"),
        ("signal", "string", False),
        ("severity", "string", False),
        ("observed", "float64"),
        ("expected", "float64"),
        ("threshold", "float64"),
        ("explanation", "string", False),
    ),
)

AUDIENCE_QUALITY = Table(
    name="audience_quality",
    layer="marts",
    key=("platform", "account_id"),
    grain="one row per account per day",
    columns=_cols(
        ("platform", "string", False),
        ("account_id", "string", False),
        ("followers_sampled", "int64"),
        ("real_pct", "float64"),
        ("authenticity_pct", "float64"),
        ("suspicious_pct", "float64"),
        ("mass_followers_pct", "float64"),
        ("influencer_followers_pct", "float64"),
        ("reachability_pct", "float64"),
        ("engagement_score", "float64"),
        ("growth_health", "float64"),
        ("engagement_health", "float64"),
        ("audience_quality_score", "float64"),
        ("followers_sampled_28d", "int64"),
        ("authenticity_pct_28d", "float64"),
        ("suspicious_pct_28d", "float64"),
        ("authenticity_adj_pct", "float64"),
    ),
)

INFLUENCER_SCORES = Table(
    name="influencer_scores",
    layer="marts",
    key=("brief_id", "platform", "account_id"),
    grain="one row per brief, account passing the brief's filters and day "
    "(pipeline.scoring; formula in sql/marts/influencer_scores.sql)",
    columns=_cols(
        ("brief_id", "string", False),
        ("platform", "string", False),
        ("account_id", "string", False),
        ("followers", "int64", False),
        ("category", "string"),
        ("quality_score", "float64", False),
        ("audience_fit", "float64", False),
        ("age_fit", "float64"),
        ("gender_fit", "float64"),
        ("country_fit", "float64"),
        ("interest_fit", "float64"),
        ("niche_fit", "float64", False),
        ("authenticity_pct", "float64"),
        ("engagement_rate", "float64"),
        ("est_reach", "float64"),
        ("est_post_price", "float64", False),
        ("expected_cpm", "float64"),
        ("score", "float64", False),
        ("rank", "int64", False),
    ),
)

CAMPAIGN_DAILY = Table(
    name="campaign_daily",
    layer="marts",
    key=("campaign_id", "platform", "account_id"),
    grain="one row per campaign, influencer (platform/account null for paid ads) and day",
    columns=_cols(
        ("campaign_id", "string", False),
        ("platform", "string"),
        ("account_id", "string"),
        ("currency", "string", False),
        ("impressions", "int64", False),
        ("clicks", "int64", False),
        ("conversions", "int64", False),
        ("orders", "int64", False),
        ("revenue", "float64", False),
        ("refunds", "float64", False),
        ("fee", "float64", False),
        ("paid_spend", "float64", False),
        ("ad_spend", "float64", False),
        ("cogs", "float64", False),
        ("ctr", "float64"),
        ("cvr", "float64"),
        ("cpm", "float64"),
        ("cpc", "float64"),
        ("cpa", "float64"),
        ("roas", "float64"),
        ("net_roas", "float64"),
        ("invalid_clicks", "int64", False),
        ("invalid_conversions", "int64", False),
        ("invalid_revenue", "float64", False),
        ("roas_fraud_adjusted", "float64"),
        # web analytics (GA4, sql/intermediate/ga4_campaign_daily.sql), beside the shop-order attribution
        ("web_sessions", "int64", False),
        ("web_conversions", "float64", False),
        ("web_revenue", "float64", False),
    ),
)

CAMPAIGN_SUMMARY = Table(
    name="campaign_summary",
    layer="marts",
    key=("campaign_id",),
    grain="one row per campaign: campaign-to-date as of the partition day, with lift of the "
    "last period_days against the period of equal length before it",
    columns=_cols(
        ("campaign_id", "string", False),
        ("brand", "string"),
        ("currency", "string", False),
        ("first_dt", "date", False),
        ("last_dt", "date", False),
        ("impressions", "int64", False),
        ("clicks", "int64", False),
        ("conversions", "int64", False),
        ("orders", "int64", False),
        ("revenue", "float64", False),
        ("ad_spend", "float64", False),
        ("cogs", "float64", False),
        ("ctr", "float64"),
        ("cvr", "float64"),
        ("cpm", "float64"),
        ("cpc", "float64"),
        ("cpa", "float64"),
        ("roas", "float64"),
        ("net_roas", "float64"),
        ("roi", "float64"),
        ("invalid_clicks", "int64", False),
        ("roas_fraud_adjusted", "float64"),
        ("period_days", "int64", False),
        ("ctr_lift_pct", "float64"),
        ("cvr_lift_pct", "float64"),
        ("roas_lift_pct", "float64"),
        ("impressions_lift_pct", "float64"),
    ),
)

#: Marts of the nightly influencer run, in build order (later ones read earlier ones).
MARTS: dict[str, Table] = {
    t.name: t for t in (INFLUENCER_DAILY, FRAUD_FLAGS, AUDIENCE_QUALITY, INFLUENCER_SCORES)
}
#: Marts of the campaign run.
CAMPAIGN_MARTS: dict[str, Table] = {t.name: t for t in (CAMPAIGN_DAILY, CAMPAIGN_SUMMARY)}

STG_ORDERS = staging_of(ORDERS)
STG_CAMPAIGNS = staging_of(CAMPAIGNS)
STG_DELIVERY_FILES = staging_of(DELIVERY_FILES)
STG_GA4_CONVERSIONS = staging_of(GA4_CONVERSIONS)
STG_INFLUENCER_LISTS = staging_of(INFLUENCER_LISTS)
STG_ROSTER = staging_of(ROSTER)
BRAND_SOURCES: dict[str, Table] = {
    t.name: t
    for t in (ORDERS, CAMPAIGNS, DELIVERY_FILES, GA4_CONVERSIONS, INFLUENCER_LISTS, ROSTER)
}


def _published() -> dict[str, Table]:
    staged = [staging_of(t) for t in (*SOURCE_TABLES.values(), *BRAND_SOURCES.values())]
    quarantined = [
        quarantine_of(t)
        for t in (
            *SOURCE_TABLES.values(),
            ORDERS,
            DELIVERY_FILES,
            GA4_CONVERSIONS,
            INFLUENCER_LISTS,
            ROSTER,
        )
    ]
    tables = [
        *staged, *MARTS.values(), *CAMPAIGN_MARTS.values(), *quarantined,
        PIPELINE_RUNS, VALIDATION_RESULTS, ORDERS_WATERMARK,
    ]  # fmt: skip
    return {t.name: t for t in tables}


#: Every table analysts see (one DuckDB view each), by name.
TABLES: dict[str, Table] = _published()


def table(name: str) -> Table:
    """A published table by name; a clear error for an unknown one."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(sorted(TABLES))}") from None
