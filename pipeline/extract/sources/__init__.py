"""Platform sources behind one interface (see :mod:`pipeline.extract.sources.base`): the clout
API contract (``clout``) or a platform's own API (``youtube``, ``instagram_graph``, ``tiktok``),
chosen per platform by ``CLOUT_SOURCES``."""

from __future__ import annotations

from pipeline.config import ConfigError, Settings
from pipeline.extract.sources.base import PlatformSource, parse_sources
from pipeline.extract.sources.http import HttpConfig

__all__ = ["HttpConfig", "PlatformSource", "make_source", "parse_sources"]


def _http(settings: Settings, url: str) -> HttpConfig:
    return HttpConfig(
        base_url=url.rstrip("/"),
        timeout_s=settings.http_timeout_s,
        max_retries=settings.max_retries,
        backoff_max_s=settings.backoff_max_s,
    )


def make_source(name: str, settings: Settings) -> PlatformSource:
    """The platform-API source ``name`` with its credentials (ConfigError when one is unset)."""
    if name == "youtube":
        from pipeline.extract.sources.youtube import YouTubeSource

        if not settings.youtube_api_key:
            raise ConfigError(
                "CLOUT_YOUTUBE_API_KEY is not set: the youtube source needs an API key"
            )
        return YouTubeSource(
            _http(settings, settings.youtube_url), settings.youtube_api_key,
            quota_budget=settings.youtube_quota_units,
        )  # fmt: skip
    if name == "instagram_graph":
        from pipeline.extract.sources.instagram import InstagramSource

        if not settings.instagram_token or not settings.instagram_business_id:
            raise ConfigError(
                "CLOUT_INSTAGRAM_TOKEN and CLOUT_INSTAGRAM_BUSINESS_ID must be set: the "
                "instagram_graph source runs business discovery on your professional account"
            )
        return InstagramSource(
            _http(settings, settings.instagram_url), settings.instagram_token,
            settings.instagram_business_id,
        )  # fmt: skip
    if name == "tiktok":
        from pipeline.extract.sources.tiktok import TikTokSource

        if not settings.tiktok_token:
            raise ConfigError(
                "CLOUT_TIKTOK_TOKEN is not set: the tiktok source needs a Research API client "
                "access token"
            )
        return TikTokSource(_http(settings, settings.tiktok_url), settings.tiktok_token)
    raise ConfigError(f"source {name!r} is not a platform-API source")
