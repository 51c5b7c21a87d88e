"""TikTok Research API -> the clout contract (``accounts``, ``posts``).

Calls (``Authorization: bearer <client access token>``):

* ``POST /v2/research/user/info/?fields=display_name,bio_description,is_verified,
  follower_count,following_count,likes_count,video_count`` with ``{"username": h}`` per roster
  account. An unknown, private or deactivated user (``invalid_params``, or no data) is
  ``not_found``.
* ``POST /v2/research/video/query/?fields=id,username,create_time,view_count,like_count,
  comment_count,share_count,favorites_count`` with ``{"query": {"and": [{"operation": "IN",
  "field_name": "username", "field_values": [...]}]}, "start_date", "end_date", "max_count":
  100, "cursor", "search_id"}`` for up to 20 found users at a time, over the posts window (the
  30 days up to the run day), followed while ``has_more`` with the returned ``cursor`` and
  ``search_id``.

Mapping: follower_count -> followers, following_count -> following, video_count ->
media_count, len(bio_description) -> biography_length, is_verified; view_count, like_count,
comment_count, share_count, favorites_count -> views, likes, comments, shares, saves;
create_time (unix seconds) -> published_at; media_type ``video`` (the video endpoint). The
research API has no user id: ``account_id`` is the roster's account_id where it gives one, else
the username. No country, language, creation date, sponsorship flag, audience nor follower
samples: NULL or empty.

Errors (``{"error": {"code": "...", "message", "log_id"}}``): ``rate_limit_exceeded`` (429) is
retried with backoff, unless it says the daily quota is spent: then TikTok stops for the night
with nothing landed; ``access_token_invalid`` / ``scope_*`` end with a clear error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from pipeline.extract.platform_api import ExtractError, _retry_after
from pipeline.extract.roster import RosterEntry
from pipeline.extract.sources.base import DATE_HEADER, POST_WINDOW_DAYS, Extracted, empty_rows
from pipeline.extract.sources.http import (
    AuthError,
    HttpConfig,
    JsonHttp,
    NotFound,
    QuotaExceeded,
    Retryable,
)

USER_FIELDS = (
    "display_name,bio_description,is_verified,follower_count,following_count,likes_count,"
    "video_count"
)
VIDEO_FIELDS = (
    "id,username,create_time,view_count,like_count,comment_count,share_count,favorites_count"
)
USERS_PER_QUERY = 20
MAX_COUNT = 100


class InvalidParams(ExtractError):
    """TikTok refused a request's parameters (``invalid_params``)."""


def classify(resp: httpx.Response, doc: Any) -> None:
    """TikTok v2 error answers -> Retryable / QuotaExceeded / AuthError / InvalidParams."""
    err = doc.get("error") if isinstance(doc, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    if resp.status_code == 200 and code in (None, "ok"):
        return
    message = str((err or {}).get("message", "")) or resp.text[:200]
    log_id = (err or {}).get("log_id", "")
    if code == "rate_limit_exceeded":
        if "quota" in message.lower() or "daily" in message.lower():
            raise QuotaExceeded(
                f"TikTok daily quota spent ({message}; log_id {log_id}): TikTok stops for "
                "tonight with nothing landed"
            )
        raise Retryable(f"TikTok rate_limit_exceeded: {message}",
                        _retry_after(resp.headers.get("Retry-After")))  # fmt: skip
    if code == "access_token_invalid" or str(code).startswith("scope_"):
        raise AuthError(
            f"TikTok refused the token ({code}: {message}; log_id {log_id}); check "
            "CLOUT_TIKTOK_TOKEN (a client access token lasts 2 hours)"
        )
    if code == "invalid_params":
        raise InvalidParams(f"TikTok invalid_params: {message} (log_id {log_id})")
    if resp.status_code == 200:
        raise ExtractError(f"TikTok answered with error {code}: {message} (log_id {log_id})")


def account_row(user: dict[str, Any], entry: RosterEntry, account_id: str) -> dict[str, Any]:
    """A ``user/info`` answer -> an ``accounts`` row."""
    bio = user.get("bio_description")
    return {
        "platform": "tiktok", "account_id": account_id, "handle": entry.handle,
        "display_name": user.get("display_name"), "category": entry.category, "country": None,
        "language": None, "followers": user.get("follower_count"),
        "following": user.get("following_count"), "media_count": user.get("video_count"),
        "is_verified": user.get("is_verified"), "is_private": None,
        "biography_length": len(bio) if isinstance(bio, str) else None, "created_at": None,
    }  # fmt: skip


def _iso(unix: Any) -> Any:
    if isinstance(unix, int | float) and not isinstance(unix, bool):
        return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return unix  # not a number: passed on, staging quarantines it with its reason


def post_row(video: dict[str, Any], account_id: str) -> dict[str, Any]:
    """A ``video/query`` video -> a ``posts`` row."""
    return {
        "platform": "tiktok", "post_id": video.get("id"), "account_id": account_id,
        "published_at": _iso(video.get("create_time")), "media_type": "video",
        "is_sponsored": None, "campaign_id": None, "promo_code": None,
        "likes": video.get("like_count"), "comments": video.get("comment_count"),
        "shares": video.get("share_count"), "saves": video.get("favorites_count"),
        "views": video.get("view_count"),
    }  # fmt: skip


class TikTokSource:
    """The TikTok Research API, read for the roster's users."""

    name = "tiktok"
    platform = "tiktok"

    def __init__(self, cfg: HttpConfig, token: str) -> None:
        self.cfg = cfg
        self.token = token

    def extract(self, dt: date, roster: Sequence[RosterEntry]) -> Extracted:
        """User info of every roster user, then their videos of the window."""
        headers = {"Authorization": f"bearer {self.token}", DATE_HEADER: dt.isoformat()}
        http = JsonHttp(self.cfg, classify, headers=headers)
        responses: list[tuple[str, bytes]] = []
        rows = empty_rows()
        looked: list[RosterEntry] = []
        ids: dict[str, str] = {}  # username -> account_id

        def post(path: str, fields: str, body: dict[str, Any]) -> dict[str, Any]:
            raw, doc = http.call("POST", path, params={"fields": fields}, body=body)
            responses.append((f"POST {path} {body}", raw))
            return dict(doc)

        with http:
            for e in roster:
                if not e.handle:
                    looked.append(e.not_found(
                        "the TikTok research API finds users by username: the roster gives "
                        f"no handle for {e.ref}"
                    ))  # fmt: skip
                    continue
                try:
                    doc = post("/research/user/info/", USER_FIELDS, {"username": e.handle})
                except (InvalidParams, NotFound) as bad:
                    looked.append(e.not_found(f"tiktok user/info @{e.handle}: {bad}"))
                    continue
                user = doc.get("data") or {}
                if not user:
                    looked.append(e.not_found(f"tiktok user/info @{e.handle}: no data"))
                    continue
                account_id = e.account_id or e.handle
                looked.append(e.found(account_id, e.handle))
                if e.handle not in ids:
                    ids[e.handle] = account_id
                    rows["accounts"].append(account_row(user, e, account_id))
            users = list(ids)
            for i in range(0, len(users), USERS_PER_QUERY):
                batch = users[i : i + USERS_PER_QUERY]
                for video in self._videos(post, batch, dt):
                    owner = ids.get(str(video.get("username")))
                    if owner is not None:
                        rows["posts"].append(post_row(video, owner))
        return Extracted("tiktok", self.cfg.base_url, rows, looked, responses, calls=http.calls)

    def _videos(self, post: Any, users: list[str], dt: date) -> list[dict[str, Any]]:
        start = dt - timedelta(days=POST_WINDOW_DAYS - 1)
        body: dict[str, Any] = {
            "query": {"and": [{"operation": "IN", "field_name": "username",
                               "field_values": users}]},
            "start_date": start.strftime("%Y%m%d"), "end_date": dt.strftime("%Y%m%d"),
            "max_count": MAX_COUNT, "cursor": 0,
        }  # fmt: skip
        videos: list[dict[str, Any]] = []
        seen: set[tuple[str, int]] = set()
        while True:
            data = post("/research/video/query/", VIDEO_FIELDS, body).get("data") or {}
            videos.extend(data.get("videos") or [])
            if not data.get("has_more"):
                return videos
            cursor, search_id = data.get("cursor"), data.get("search_id")
            if not isinstance(cursor, int) or (str(search_id), cursor) in seen:
                raise ExtractError(f"TikTok video/query: bad or repeated cursor {cursor!r}")
            seen.add((str(search_id), cursor))
            body = {**body, "cursor": cursor, "search_id": search_id}
