"""Arrow schema of every table: the single source of truth.

Source tables (one per platform API entity) are declared with their API endpoint, their key and
the staging schema their raw JSON is cast to. Marts are declared with their column contract
(DESIGN section 11). Partition column ``dt`` is never stored in files: it is the hive path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from pipeline import names

SCHEMA_VERSION = 1

PLATFORMS: tuple[str, ...] = names.PLATFORMS
MEDIA_TYPES: tuple[str, ...] = ("image", "carousel", "video", "reel", "short", "story")
AUDIENCE_DIMENSIONS: tuple[str, ...] = ("age", "gender", "country", "interest")

TS = pa.timestamp("us", tz="UTC")

#: Lineage columns every raw row carries.
LINEAGE_FIELDS: tuple[str, ...] = ("_run_id", "_extracted_at", "_source")


@dataclass(frozen=True)
class SourceTable:
    """A table fed by one platform API entity."""

    name: str  #: logical name, e.g. ``posts``; staging table is ``stg_<name>``
    endpoint: str  #: path under ``/v1/``
    schema: pa.Schema  #: staging schema (the cast target)
    key: tuple[str, ...]  #: grain: unique in staging
    grain: str  #: one sentence
    pii: tuple[str, ...] = field(default=())  #: fields pseudonymised on extraction

    @property
    def staging(self) -> str:
        return names.staging_name(self.name)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns that must be present and non-null (the key and every non-nullable field)."""
        return tuple(f.name for f in self.schema if not f.nullable)


def _s(*fields: tuple[str, pa.DataType, bool]) -> pa.Schema:
    return pa.schema([pa.field(n, t, nullable=nullable) for n, t, nullable in fields])


ACCOUNTS = SourceTable(
    name="accounts",
    endpoint="accounts",
    key=("platform", "account_id"),
    grain="one row per tracked account per day (snapshot)",
    schema=_s(
        ("platform", pa.string(), False),
        ("account_id", pa.string(), False),
        ("handle", pa.string(), True),
        ("display_name", pa.string(), True),
        ("category", pa.string(), True),
        ("country", pa.string(), True),
        ("language", pa.string(), True),
        ("followers", pa.int64(), False),
        ("following", pa.int64(), True),
        ("media_count", pa.int64(), True),
        ("is_verified", pa.bool_(), True),
        ("is_private", pa.bool_(), True),
        ("biography_length", pa.int64(), True),
        ("created_at", TS, True),
    ),
)

POSTS = SourceTable(
    name="posts",
    endpoint="posts",
    key=("platform", "post_id"),
    grain="one row per post per day (metrics snapshot of posts of the last 30 days)",
    schema=_s(
        ("platform", pa.string(), False),
        ("post_id", pa.string(), False),
        ("account_id", pa.string(), False),
        ("published_at", TS, False),
        ("media_type", pa.string(), True),
        ("is_sponsored", pa.bool_(), True),
        ("campaign_id", pa.string(), True),
        ("promo_code", pa.string(), True),
        ("likes", pa.int64(), True),
        ("comments", pa.int64(), True),
        ("shares", pa.int64(), True),
        ("saves", pa.int64(), True),
        ("views", pa.int64(), True),
    ),
)

AUDIENCE = SourceTable(
    name="audience",
    endpoint="audience",
    key=("platform", "account_id", "dimension", "bucket"),
    grain="one row per account, audience dimension and bucket per day",
    schema=_s(
        ("platform", pa.string(), False),
        ("account_id", pa.string(), False),
        ("dimension", pa.string(), False),
        ("bucket", pa.string(), False),
        ("share", pa.float64(), False),
    ),
)

FOLLOWER_SAMPLES = SourceTable(
    name="follower_samples",
    endpoint="follower_samples",
    key=("platform", "account_id", "follower_id"),
    grain="one row per sampled follower of an account per day",
    pii=("follower_id",),
    schema=_s(
        ("platform", pa.string(), False),
        ("account_id", pa.string(), False),
        ("follower_id", pa.string(), False),
        ("follower_count", pa.int64(), True),
        ("following_count", pa.int64(), True),
        ("media_count", pa.int64(), True),
        ("has_profile_pic", pa.bool_(), True),
        ("is_private", pa.bool_(), True),
        ("biography_length", pa.int64(), True),
        ("username_length", pa.int64(), True),
        ("username_digit_count", pa.int64(), True),
        ("account_age_days", pa.int64(), True),
    ),
)

DELIVERY = SourceTable(
    name="delivery",
    endpoint="ads/delivery",
    key=("campaign_id", "platform", "ad_id"),
    grain="one row per campaign, platform and ad per day (account_id null for paid ads)",
    schema=_s(
        ("campaign_id", pa.string(), False),
        ("platform", pa.string(), False),
        ("account_id", pa.string(), True),
        ("ad_id", pa.string(), False),
        ("impressions", pa.int64(), True),
        ("reach", pa.int64(), True),
        ("clicks", pa.int64(), True),
        ("video_views", pa.int64(), True),
        ("spend", pa.float64(), True),
        ("currency", pa.string(), True),
        ("conversions", pa.int64(), True),
    ),
)

SOURCE_TABLES: dict[str, SourceTable] = {
    t.name: t for t in (ACCOUNTS, POSTS, AUDIENCE, FOLLOWER_SAMPLES, DELIVERY)
}


@dataclass(frozen=True)
class Mart:
    """A business table built by SQL in ``sql/<name>.sql``."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    grain: str


INFLUENCER_DAILY = Mart(
    name="influencer_daily",
    key=("platform", "account_id"),
    grain="one row per account per day",
    schema=_s(
        ("platform", pa.string(), False),
        ("account_id", pa.string(), False),
        ("handle", pa.string(), True),
        ("category", pa.string(), True),
        ("followers", pa.int64(), False),
        ("following", pa.int64(), True),
        ("follower_delta", pa.int64(), True),
        ("growth_rate", pa.float64(), True),
        ("posts_published", pa.int64(), False),
        ("posts_measured", pa.int64(), False),
        ("engagement_rate", pa.float64(), True),
        ("avg_views", pa.float64(), True),
    ),
)

FRAUD_FLAGS = Mart(
    name="fraud_flags",
    key=("entity_type", "platform", "entity_id", "signal"),
    grain="one row per entity (account, post or ad delivery), day and fake-traffic signal",
    schema=_s(
        ("entity_type", pa.string(), False),
        ("entity_id", pa.string(), False),
        ("platform", pa.string(), False),
        ("account_id", pa.string(), True),
        ("campaign_id", pa.string(), True),
        ("signal", pa.string(), False),
        ("severity", pa.string(), False),
        ("observed", pa.float64(), True),
        ("expected", pa.float64(), True),
        ("threshold", pa.float64(), True),
        ("explanation", pa.string(), False),
    ),
)

AUDIENCE_QUALITY = Mart(
    name="audience_quality",
    key=("platform", "account_id"),
    grain="one row per account per day",
    schema=_s(
        ("platform", pa.string(), False),
        ("account_id", pa.string(), False),
        ("followers_sampled", pa.int64(), True),
        ("real_pct", pa.float64(), True),
        ("authenticity_pct", pa.float64(), True),
        ("suspicious_pct", pa.float64(), True),
        ("mass_followers_pct", pa.float64(), True),
        ("influencer_followers_pct", pa.float64(), True),
        ("reachability_pct", pa.float64(), True),
        ("engagement_score", pa.float64(), True),
        ("growth_health", pa.float64(), True),
        ("engagement_health", pa.float64(), True),
        ("audience_quality_score", pa.float64(), True),
        ("followers_sampled_28d", pa.int64(), True),
        ("authenticity_pct_28d", pa.float64(), True),
        ("suspicious_pct_28d", pa.float64(), True),
        ("authenticity_adj_pct", pa.float64(), True),
    ),
)

INFLUENCER_SCORES = Mart(
    name="influencer_scores",
    key=("brief_id", "platform", "account_id"),
    grain="one row per brief, account passing the brief's filters and day "
    "(pipeline.scoring; formula in sql/influencer_scores.sql)",
    schema=_s(
        ("brief_id", pa.string(), False),
        ("platform", pa.string(), False),
        ("account_id", pa.string(), False),
        ("followers", pa.int64(), False),
        ("category", pa.string(), True),
        ("quality_score", pa.float64(), False),
        ("audience_fit", pa.float64(), False),
        ("age_fit", pa.float64(), True),
        ("gender_fit", pa.float64(), True),
        ("country_fit", pa.float64(), True),
        ("interest_fit", pa.float64(), True),
        ("niche_fit", pa.float64(), False),
        ("authenticity_pct", pa.float64(), True),
        ("engagement_rate", pa.float64(), True),
        ("est_reach", pa.float64(), True),
        ("est_post_price", pa.float64(), False),
        ("expected_cpm", pa.float64(), True),
        ("score", pa.float64(), False),
        ("rank", pa.int64(), False),
    ),
)

MARTS: dict[str, Mart] = {
    m.name: m for m in (INFLUENCER_DAILY, FRAUD_FLAGS, AUDIENCE_QUALITY, INFLUENCER_SCORES)
}

if tuple(SOURCE_TABLES) != names.SOURCE_TABLES or tuple(MARTS) != names.MARTS:
    raise ImportError("pipeline.names disagrees with pipeline.schemas: update both together")


#: Lineage and reasons kept with every quarantined row (its fields stay raw text).
QUARANTINE_EXTRA = pa.schema(
    [
        ("_reasons", pa.string()),
        ("_run_id", pa.string()),
        ("_source", pa.string()),
        ("_file", pa.string()),
        ("_page", pa.int64()),
        ("_pos", pa.int64()),
    ]
)


def quarantine_schema(table: SourceTable) -> pa.Schema:
    """Schema of ``quarantine/<table>``: the raw text of every field, the reasons, lineage."""
    return pa.schema([pa.field(f.name, pa.string()) for f in table.schema] + list(QUARANTINE_EXTRA))


def table_names() -> list[str]:
    """Every published table name (staging and marts), as analysts see them in DuckDB."""
    return [t.staging for t in SOURCE_TABLES.values()] + list(MARTS)


# ------------------------------------------------------------------------------------------
# brand side (campaign ROAS, ``pipeline.brand``): not platform API entities, so kept apart from
# SOURCE_TABLES / MARTS (the influencer_daily DAG iterates those).


@dataclass(frozen=True)
class BrandTable:
    """A brand-side table: where it lives, its columns (hive keys not stored), key and grain."""

    name: str
    layer: str  #: ``staging`` or ``marts``
    schema: pa.Schema
    key: tuple[str, ...]
    grain: str
    depth: int = 1  #: hive levels under the table folder (``dt`` [+ ``source``])


DATE = pa.date32()

STG_ORDERS = BrandTable(
    name="stg_orders",
    layer="staging",
    key=("order_id",),
    grain="one row per shop order (its latest version), partitioned by the UTC day it was created",
    schema=_s(
        ("order_id", pa.string(), False),
        ("created_at", TS, False),
        ("updated_at", TS, False),
        ("status", pa.string(), True),
        ("currency", pa.string(), False),
        ("gross_amount", pa.float64(), True),
        ("discount_amount", pa.float64(), True),
        ("net_amount", pa.float64(), False),
        ("refunded_amount", pa.float64(), True),
        ("cogs_amount", pa.float64(), True),
        ("promo_code", pa.string(), True),
        ("utm_source", pa.string(), True),
        ("utm_campaign", pa.string(), True),
        ("utm_content", pa.string(), True),
        ("customer_id", pa.string(), True),
    ),
)

STG_CAMPAIGNS = BrandTable(
    name="stg_campaigns",
    layer="staging",
    key=("campaign_id", "platform", "account_id"),
    grain="one row per campaign and influencer (platform/account null for a campaign without "
    "influencers): the campaigns file as of the run day",
    schema=_s(
        ("campaign_id", pa.string(), False),
        ("brand", pa.string(), True),
        ("name", pa.string(), True),
        ("currency", pa.string(), False),
        ("start_date", DATE, False),
        ("end_date", DATE, False),
        ("budget", pa.float64(), True),
        ("platform", pa.string(), True),
        ("account_id", pa.string(), True),
        ("fee", pa.float64(), False),
        ("seeding_cost", pa.float64(), False),
        ("promo_code", pa.string(), True),
        ("utm_content", pa.string(), True),
        ("live_date", DATE, True),
    ),
)

STG_DELIVERY_FILES = BrandTable(
    name="stg_delivery_files",
    layer="staging",
    key=("campaign_id", "platform", "ad_id"),
    grain="one row per campaign, platform and ad per day from an ad-manager file drop "
    "(hive key source = the ingest profile or mapping name)",
    schema=DELIVERY.schema,
    depth=2,
)

CAMPAIGN_DAILY = BrandTable(
    name="campaign_daily",
    layer="marts",
    key=("campaign_id", "platform", "account_id"),
    grain="one row per campaign, influencer (platform/account null for paid ads) and day",
    schema=_s(
        ("campaign_id", pa.string(), False),
        ("platform", pa.string(), True),
        ("account_id", pa.string(), True),
        ("currency", pa.string(), False),
        ("impressions", pa.int64(), False),
        ("clicks", pa.int64(), False),
        ("conversions", pa.int64(), False),
        ("orders", pa.int64(), False),
        ("revenue", pa.float64(), False),
        ("refunds", pa.float64(), False),
        ("fee", pa.float64(), False),
        ("paid_spend", pa.float64(), False),
        ("ad_spend", pa.float64(), False),
        ("cogs", pa.float64(), False),
        ("ctr", pa.float64(), True),
        ("cvr", pa.float64(), True),
        ("cpm", pa.float64(), True),
        ("cpc", pa.float64(), True),
        ("cpa", pa.float64(), True),
        ("roas", pa.float64(), True),
        ("net_roas", pa.float64(), True),
        ("invalid_clicks", pa.int64(), False),
        ("invalid_conversions", pa.int64(), False),
        ("invalid_revenue", pa.float64(), False),
        ("roas_fraud_adjusted", pa.float64(), True),
    ),
)

CAMPAIGN_SUMMARY = BrandTable(
    name="campaign_summary",
    layer="marts",
    key=("campaign_id",),
    grain="one row per campaign: campaign-to-date as of the partition day, with lift of the "
    "last period_days against the period of equal length before it",
    schema=_s(
        ("campaign_id", pa.string(), False),
        ("brand", pa.string(), True),
        ("currency", pa.string(), False),
        ("first_dt", DATE, False),
        ("last_dt", DATE, False),
        ("impressions", pa.int64(), False),
        ("clicks", pa.int64(), False),
        ("conversions", pa.int64(), False),
        ("orders", pa.int64(), False),
        ("revenue", pa.float64(), False),
        ("ad_spend", pa.float64(), False),
        ("cogs", pa.float64(), False),
        ("ctr", pa.float64(), True),
        ("cvr", pa.float64(), True),
        ("cpm", pa.float64(), True),
        ("cpc", pa.float64(), True),
        ("cpa", pa.float64(), True),
        ("roas", pa.float64(), True),
        ("net_roas", pa.float64(), True),
        ("roi", pa.float64(), True),
        ("invalid_clicks", pa.int64(), False),
        ("roas_fraud_adjusted", pa.float64(), True),
        ("period_days", pa.int64(), False),
        ("ctr_lift_pct", pa.float64(), True),
        ("cvr_lift_pct", pa.float64(), True),
        ("roas_lift_pct", pa.float64(), True),
        ("impressions_lift_pct", pa.float64(), True),
    ),
)

BRAND_TABLES: dict[str, BrandTable] = {
    t.name: t
    for t in (STG_ORDERS, STG_CAMPAIGNS, STG_DELIVERY_FILES, CAMPAIGN_DAILY, CAMPAIGN_SUMMARY)
}

if tuple(t.name for t in BRAND_TABLES.values() if t.layer == "staging") != names.BRAND_STAGING or (
    tuple(t.name for t in BRAND_TABLES.values() if t.layer == "marts") != names.BRAND_MARTS
):
    raise ImportError("pipeline.names disagrees with pipeline.schemas on brand tables")
