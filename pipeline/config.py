"""Settings: read once from the environment (prefix ``CLOUT_``) or a ``.env`` file.

The names here are a public contract (README, DESIGN section 11): extend, never rename.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Key used only when no ``CLOUT_PII_KEY`` is set *and* the API is the local simulator.
DEMO_PII_KEY = "clout-demo-key-not-secret"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Every setting of clout, with its default."""

    model_config = SettingsConfigDict(env_prefix="CLOUT_", env_file=".env", extra="ignore")

    warehouse: Path | str = Field(
        Path("./warehouse"),
        description="warehouse root: a local folder, or `s3://bucket/prefix` on an S3-compatible "
        "object store (endpoint and keys from the standard `AWS_*` variables)",
    )
    local_dir: Path = Field(
        Path(tempfile.gettempdir()) / "clout",
        description="local work folder of an object-store warehouse: its day locks, work "
        "folders, DuckDB catalog and Data Docs live in `<local_dir>/<bucket>/<prefix>`",
    )
    api_url: str | None = Field(None, description="social platform API base URL")
    api_token: str | None = Field(None, description="bearer token for the platform API")
    orders_url: str | None = Field(None, description="SQLAlchemy URL of the shop database")
    orders_table: str = Field("orders", description="table of the shop's orders")
    campaigns: Path | None = Field(None, description="campaigns file (YAML or CSV)")
    briefs: Path | None = Field(None, description="folder of brief YAML files")
    pii_key: str | None = Field(None, description="secret key for pseudonymising personal ids")

    publish_url: str | None = Field(
        None, description="PostgreSQL URL the nightly runs publish the marts to (BI tools)"
    )
    publish_schema: str = Field("clout", description="schema of the published marts")

    alert_webhook: str | None = Field(
        None, description="URL that receives a JSON POST when a task fails"
    )

    # platform sources (pipeline.extract.sources): which API each platform is read from
    sources: str = Field(
        "clout",
        description="comma list: `clout` (the clout API contract) and/or `youtube`, "
        "`instagram_graph`, `tiktok` (the platforms' own APIs), or `platform=source` pairs",
    )
    roster: Path | None = Field(None, description="accounts to track (CSV or YAML)")
    youtube_api_key: str | None = Field(None, description="YouTube Data API v3 key")
    youtube_url: str = Field(
        "https://www.googleapis.com/youtube/v3", description="YouTube Data API base URL"
    )
    youtube_quota_units: int = Field(
        10_000, ge=1, description="daily YouTube quota budget the run may spend"
    )
    instagram_token: str | None = Field(None, description="Instagram Graph API access token")
    instagram_business_id: str | None = Field(
        None, description="your Instagram professional account id (business discovery runs on it)"
    )
    instagram_url: str = Field(
        "https://graph.facebook.com/v21.0", description="Instagram Graph API base URL"
    )
    tiktok_token: str | None = Field(None, description="TikTok Research API client access token")
    tiktok_url: str = Field("https://open.tiktokapis.com/v2", description="TikTok API base URL")

    vacuum_retention_days: float = Field(
        7.0, ge=0, description="days of old table versions the weekly maintenance keeps"
    )

    # extraction tuning
    page_size: int = Field(5000, ge=1, le=50_000, description="rows per API page")
    concurrency: int = Field(4, ge=1, le=64, description="parallel API streams")
    http_timeout_s: float = Field(30.0, gt=0, description="per-request timeout")
    max_retries: int = Field(6, ge=0, description="retries on 429/5xx/timeouts")
    backoff_max_s: float = Field(30.0, gt=0, description="cap on one backoff wait")

    @field_validator("warehouse", mode="before")
    @classmethod
    def _warehouse_root(cls, value: object) -> object:
        """A URL (``s3://...``) stays a string, anything else is a local path."""
        from pipeline.warehouse.objectstore import is_remote, split_uri

        if isinstance(value, str) and is_remote(value):
            split_uri(value)  # ValueError (a validation error) for another scheme
            return value.rstrip("/")
        return Path(value) if isinstance(value, str) else value

    def require_api(self) -> tuple[str, str]:
        """The API URL and token, or a ConfigError saying how to set them."""
        if not self.api_url:
            raise ConfigError(
                "CLOUT_API_URL is not set: point it at the platform API "
                "(or use `clout demo`, which starts the simulator and sets it)"
            )
        if not self.api_token:
            raise ConfigError("CLOUT_API_TOKEN is not set: the platform API needs a bearer token")
        return self.api_url.rstrip("/"), self.api_token

    def require_pii_key(self) -> bytes:
        """The pseudonymisation key; the demo key only when talking to the local simulator."""
        if self.pii_key:
            return self.pii_key.encode()
        if self.api_url and ("127.0.0.1" in self.api_url or "localhost" in self.api_url):
            return DEMO_PII_KEY.encode()
        raise ConfigError(
            "CLOUT_PII_KEY is not set: it is required outside the demo "
            "(any long random secret; keep it stable, or pseudonyms change)"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process (read once)."""
    return Settings()


def reload_settings() -> Settings:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
    return get_settings()
