"""Names of platforms and tables: import-light, for DAG files parsed by the scheduler.

``pipeline.schemas`` holds the full definitions and checks that it agrees with these names.
"""

PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube")
SOURCE_TABLES: tuple[str, ...] = ("accounts", "posts", "audience", "follower_samples", "delivery")
MARTS: tuple[str, ...] = (
    "influencer_daily", "fraud_flags", "audience_quality", "influencer_scores",
)  # fmt: skip


def staging_name(table: str) -> str:
    """Name of the staging table of a source table."""
    return f"stg_{table}"


def asset_uri(layer: str, table: str) -> str:
    """Airflow Asset URI of a warehouse table."""
    return f"clout://warehouse/{layer}/{table}"


#: Brand-side (campaign ROAS) tables, kept apart from the platform API tables above:
#: staging tables written by ``pipeline.brand`` and the campaign marts (``sql/<name>.sql``).
BRAND_STAGING: tuple[str, ...] = ("stg_orders", "stg_campaigns", "stg_delivery_files")
BRAND_MARTS: tuple[str, ...] = ("campaign_daily", "campaign_summary")
