"""YouTube Data API v3 -> the clout contract (``accounts``, ``posts``).

Calls (``key=`` API-key auth; every one costs 1 quota unit, counted and reported):

* ``channels.list`` (``part=snippet,statistics,contentDetails``): up to 50 roster ids per call,
  one call per roster handle (``forHandle``). A roster account the answer lacks (empty
  ``items``) is ``not_found``.
* ``playlistItems.list`` on each channel's uploads playlist (``maxResults=50``, followed by
  ``nextPageToken``), newest first, until the uploads are older than the posts window (the 30
  days up to the run day, as the ``posts`` snapshot of the contract).
* ``videos.list`` (``part=snippet,statistics,contentDetails,paidProductPlacementDetails``) for
  up to 50 of those videos per call.

Mapping: subscriberCount -> followers (NULL when hidden), videoCount -> media_count,
description length -> biography_length; viewCount/likeCount/commentCount -> views/likes/
comments (NULL where the owner hides them), duration <= 60 s -> media_type ``short``, else
``video``; hasPaidProductPlacement -> is_sponsored. YouTube has no ``following``, no shares or
saves, no verified flag, no follower samples and (without the owner's Analytics consent) no
audience: those stay NULL or empty.

Errors: 403 ``quotaExceeded``/``dailyLimitExceeded`` (or the run's own budget,
``CLOUT_YOUTUBE_QUOTA_UNITS``) stop YouTube for the night with nothing landed; 429,
``rateLimitExceeded`` and 5xx are retried with backoff; a bad key ends with a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx

from pipeline.extract.platform_api import ExtractError, _retry_after
from pipeline.extract.roster import RosterEntry
from pipeline.extract.sources.base import (
    DATE_HEADER,
    Extracted,
    empty_rows,
    parse_ts,
    window,
)
from pipeline.extract.sources.http import (
    AuthError,
    HttpConfig,
    JsonHttp,
    NotFound,
    QuotaExceeded,
    Retryable,
)

#: Quota units of each method (YouTube Data API v3 quota table).
QUOTA_UNITS: dict[str, int] = {"channels": 1, "playlistItems": 1, "videos": 1}
MAX_IDS = 50
SHORT_MAX_S = 60

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_KEY_REASONS = {"keyInvalid", "keyExpired", "accessNotConfigured", "forbidden", "ipRefererBlocked"}


def duration_seconds(value: str | None) -> float | None:
    """Seconds of an ISO 8601 duration (``PT1M5S``, ``P0D``); None when absent or malformed."""
    if not value:
        return None
    m = _DURATION.match(value)
    if not m:
        return None
    d, h, mi, s = (float(m.group(k) or 0) for k in ("d", "h", "m", "s"))
    return d * 86400 + h * 3600 + mi * 60 + s


def media_type(duration: str | None) -> str | None:
    """``short`` for a video of at most 60 s, ``video`` for a longer one, None if unknown."""
    seconds = duration_seconds(duration)
    if seconds is None:
        return None
    return "short" if seconds <= SHORT_MAX_S else "video"


def _reasons(doc: Any) -> set[str]:
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return set()
    found = {
        str(e.get("reason"))
        for e in [*(err.get("errors") or []), *(err.get("details") or [])]
        if isinstance(e, dict) and e.get("reason")
    }
    status = err.get("status")
    return found | ({str(status)} if status else set())


def classify(resp: httpx.Response, doc: Any) -> None:
    """YouTube's error answers -> QuotaExceeded / Retryable / AuthError / NotFound."""
    if resp.status_code == 200:
        return
    reasons = _reasons(doc)
    message = (doc or {}).get("error", {}).get("message", "") if isinstance(doc, dict) else ""
    if reasons & _QUOTA_REASONS:
        raise QuotaExceeded(
            f"YouTube quota exceeded ({', '.join(sorted(reasons & _QUOTA_REASONS))}): {message}; "
            "YouTube stops for tonight with nothing landed; the quota resets at midnight "
            "Pacific time (raise it in the Google Cloud console)"
        )
    if reasons & _RATE_REASONS:
        raise Retryable(
            f"YouTube {', '.join(sorted(reasons & _RATE_REASONS))}",
            _retry_after(resp.headers.get("Retry-After")),
        )
    if resp.status_code == 404 and "playlistNotFound" in reasons:
        raise NotFound(f"YouTube playlist not found: {message}")
    if reasons & _KEY_REASONS or resp.status_code in (401, 403) or "API_KEY_INVALID" in reasons:
        raise AuthError(
            f"YouTube refused the API key (HTTP {resp.status_code} "
            f"{', '.join(sorted(reasons)) or ''}): {message}; check CLOUT_YOUTUBE_API_KEY"
        )


def account_row(item: dict[str, Any], entry: RosterEntry | None) -> dict[str, Any]:
    """A ``channels.list`` item -> an ``accounts`` row."""
    snippet = item.get("snippet") or {}
    stats = item.get("statistics") or {}
    handle = snippet.get("customUrl")
    description = snippet.get("description")
    return {
        "platform": "youtube",
        "account_id": item.get("id"),
        "handle": handle.lstrip("@") if isinstance(handle, str) else (entry and entry.handle),
        "display_name": snippet.get("title"),
        "category": entry.category if entry else None,
        "country": snippet.get("country"),
        "language": snippet.get("defaultLanguage"),
        "followers": None if stats.get("hiddenSubscriberCount") else stats.get("subscriberCount"),
        "following": None,
        "media_count": stats.get("videoCount"),
        "is_verified": None,
        "is_private": None,
        "biography_length": len(description) if isinstance(description, str) else None,
        "created_at": snippet.get("publishedAt"),
    }


def post_row(item: dict[str, Any]) -> dict[str, Any]:
    """A ``videos.list`` item -> a ``posts`` row."""
    snippet = item.get("snippet") or {}
    stats = item.get("statistics") or {}
    paid = (item.get("paidProductPlacementDetails") or {}).get("hasPaidProductPlacement")
    return {
        "platform": "youtube",
        "post_id": item.get("id"),
        "account_id": snippet.get("channelId"),
        "published_at": snippet.get("publishedAt"),
        "media_type": media_type((item.get("contentDetails") or {}).get("duration")),
        "is_sponsored": paid if isinstance(paid, bool) else None,
        "campaign_id": None,
        "promo_code": None,
        "likes": stats.get("likeCount"),
        "comments": stats.get("commentCount"),
        "shares": None,
        "saves": None,
        "views": stats.get("viewCount"),
    }


class YouTubeSource:
    """The YouTube Data API v3, read for the roster's channels."""

    name = "youtube"
    platform = "youtube"

    def __init__(self, cfg: HttpConfig, api_key: str, quota_budget: int = 10_000) -> None:
        self.cfg = cfg
        self.api_key = api_key
        self.quota_budget = quota_budget

    def extract(self, dt: date, roster: Sequence[RosterEntry]) -> Extracted:
        """Channels, their uploads of the posts window and the videos' statistics."""
        run = _Run(self, dt)
        with run.http:
            found = run.channels(roster)
            posts: list[dict[str, Any]] = []
            for item in found.values():
                posts.extend(run.posts(item))
        rows = empty_rows()
        entry_of = {e.account_id: e for e in run.roster if e.status == "found"}
        rows["accounts"] = [account_row(i, entry_of.get(str(i.get("id")))) for i in found.values()]
        rows["posts"] = posts
        return Extracted(
            "youtube", self.cfg.base_url, rows, run.roster, run.responses,
            calls=run.http.calls, quota_units=run.units,
        )  # fmt: skip


class _Run:
    """One day's extraction: the HTTP client, quota, answers kept and roster outcomes."""

    def __init__(self, src: YouTubeSource, dt: date) -> None:
        self.src = src
        self.dt = dt
        self.http = JsonHttp(src.cfg, classify, headers={DATE_HEADER: dt.isoformat()})
        self.units = 0
        self.responses: list[tuple[str, bytes]] = []
        self.roster: list[RosterEntry] = []

    def get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        cost = QUOTA_UNITS[method]
        if self.units + cost > self.src.quota_budget:
            raise QuotaExceeded(
                f"YouTube: the run's quota budget of {self.src.quota_budget} units "
                f"(CLOUT_YOUTUBE_QUOTA_UNITS) is spent after {self.units}; YouTube stops for "
                "tonight with nothing landed: track fewer channels or raise the budget"
            )
        self.units += cost
        body, doc = self.http.call("GET", f"/{method}", params={**params, "key": self.src.api_key})
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        self.responses.append((f"GET /{method} {shown}", body))
        return dict(doc)

    # ------------------------------------------------------------------ channels
    def channels(self, roster: Sequence[RosterEntry]) -> dict[str, dict[str, Any]]:
        """Channel id -> ``channels.list`` item of every roster channel found."""
        part = "snippet,statistics,contentDetails"
        found: dict[str, dict[str, Any]] = {}
        by_id = [e for e in roster if e.account_id]
        for i in range(0, len(by_id), MAX_IDS):
            batch = by_id[i : i + MAX_IDS]
            ids = ",".join(str(e.account_id) for e in batch)
            doc = self.get("channels", {"part": part, "id": ids, "maxResults": MAX_IDS})
            items = {str(it.get("id")): it for it in doc.get("items") or []}
            for e in batch:
                item = items.get(str(e.account_id))
                if item is None:
                    self.roster.append(e.not_found(
                        f"youtube channels.list returned no channel with id {e.account_id} "
                        "(unknown, deleted or terminated)"
                    ))  # fmt: skip
                    continue
                found[str(e.account_id)] = item
                self.roster.append(e.found(str(e.account_id), _handle(item)))
        for e in roster:
            if e.account_id:
                continue
            doc = self.get("channels", {"part": part, "forHandle": f"@{e.handle}"})
            matches: list[dict[str, Any]] = doc.get("items") or []
            if not matches:
                self.roster.append(e.not_found(
                    f"youtube channels.list returned no channel for handle @{e.handle} "
                    "(unknown, renamed or deleted)"
                ))  # fmt: skip
                continue
            first = matches[0]
            found[str(first.get("id"))] = first
            self.roster.append(e.found(str(first.get("id")), _handle(first)))
        return found

    # ------------------------------------------------------------------ posts
    def posts(self, channel: dict[str, Any]) -> list[dict[str, Any]]:
        """``posts`` rows of one channel's uploads in the window."""
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get(
            "uploads"
        )
        if not uploads:
            return []
        video_ids = self._uploads(str(uploads))
        rows: list[dict[str, Any]] = []
        for i in range(0, len(video_ids), MAX_IDS):
            part = "snippet,statistics,contentDetails,paidProductPlacementDetails"
            doc = self.get("videos", {"part": part, "id": ",".join(video_ids[i : i + MAX_IDS])})
            rows.extend(post_row(v) for v in doc.get("items") or [])
        start, end = window(self.dt)
        return [r for r in rows if (t := parse_ts(r["published_at"])) is None or start <= t < end]

    def _uploads(self, playlist: str) -> list[str]:
        start, end = window(self.dt)
        ids: list[str] = []
        params: dict[str, Any] = {"part": "contentDetails", "playlistId": playlist,
                                  "maxResults": MAX_IDS}  # fmt: skip
        tokens: set[str] = set()
        while True:
            try:
                doc = self.get("playlistItems", params)
            except NotFound:  # a channel without uploads has no uploads playlist
                return ids
            older = False
            for item in doc.get("items") or []:
                details = item.get("contentDetails") or {}
                published = parse_ts(details.get("videoPublishedAt"))
                if published is None:  # private or deleted video: no date, no statistics
                    continue
                if published < start:
                    older = True
                elif published < end and details.get("videoId"):
                    ids.append(str(details["videoId"]))
            token = doc.get("nextPageToken")
            if older or not token:
                return ids
            if token in tokens:
                raise ExtractError(f"YouTube playlistItems {playlist}: page token {token} repeats")
            tokens.add(token)
            params = {**params, "pageToken": token}


def _handle(item: dict[str, Any]) -> str | None:
    handle = (item.get("snippet") or {}).get("customUrl")
    return handle.lstrip("@") if isinstance(handle, str) else None
