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

MARTS: dict[str, Mart] = {m.name: m for m in (INFLUENCER_DAILY,)}

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
