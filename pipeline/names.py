"""Names of platforms and tables: import-light, for DAG files parsed by the scheduler.

``pipeline.schemas`` holds the full definitions and checks that it agrees with these names.
"""

PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube")
SOURCE_TABLES: tuple[str, ...] = ("accounts", "posts", "audience", "follower_samples", "delivery")
MARTS: tuple[str, ...] = ("influencer_daily",)


def staging_name(table: str) -> str:
    """Name of the staging table of a source table."""
    return f"stg_{table}"


def asset_uri(layer: str, table: str) -> str:
    """Airflow Asset URI of a warehouse table."""
    return f"clout://warehouse/{layer}/{table}"
