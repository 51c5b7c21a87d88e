"""Instagram Graph API -> the clout contract (``accounts``, ``posts``, ``audience``).

Calls (``access_token=``; on your own professional account, ``CLOUT_INSTAGRAM_BUSINESS_ID``):

* business discovery of each roster account by username::

    GET /{ig-user-id}?fields=business_discovery.username(h){followers_count,follows_count,
        media_count,name,biography,username,id,media.limit(50){like_count,comments_count,
        timestamp,media_type,media_product_type,id}}

  media newest first, followed by ``media.after(<cursor>)`` until older than the posts window.
  A roster account Instagram cannot find (error 110, or 100 with subcode 2207013: unknown,
  renamed, deleted, personal or age-gated) is ``not_found``; an account given only by id
  cannot be discovered (discovery works by username) and is ``not_found`` with that reason.
* for roster accounts marked ``insights: true`` (they granted your app access), audience
  demographics: ``GET /{ig-user-id}/insights?metric=follower_demographics&period=lifetime&
  metric_type=total_value&breakdown=age|gender|country`` -> ``audience`` rows, each
  dimension's counts normalised to shares summing to 1 (age 55-64 and 65+ together as the
  contract's ``55+``; gender F/M/U as female/male/other). A permission error (10, 200) leaves
  that account without audience, never fails the night.

Mapping: followers_count -> followers, follows_count -> following, media_count,
len(biography); like_count (NULL where the owner hides likes), comments_count, timestamp,
media_product_type REELS -> reel, STORY -> story, else media_type IMAGE -> image, VIDEO ->
video, CAROUSEL_ALBUM -> carousel. Business discovery gives no shares, saves, views, country,
language, verified flag, creation date nor follower samples: NULL or empty.

Errors (``{"error": {"code": ...}}``): 4, 17, 32, 613 and 80001-80006 are rate limits, retried
with backoff and then stopping Instagram for the night with nothing landed; 190 is a bad or
expired token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx

from pipeline.extract.platform_api import ExtractError, _retry_after
from pipeline.extract.roster import RosterEntry
from pipeline.extract.sources.base import DATE_HEADER, Extracted, empty_rows, parse_ts, window
from pipeline.extract.sources.http import (
    AuthError,
    HttpConfig,
    JsonHttp,
    NotFound,
    QuotaExceeded,
    Retryable,
)

ACCOUNT_FIELDS = "followers_count,follows_count,media_count,name,biography,username,id"
MEDIA_FIELDS = "like_count,comments_count,timestamp,media_type,media_product_type,id"
MEDIA_PAGE = 50
RATE_LIMIT_CODES = {4, 17, 32, 613, *range(80001, 80007)}
PERMISSION_CODES = {10, 200}
NOT_FOUND_SUBCODES = {2207013, 33}
BREAKDOWNS: tuple[str, ...] = ("age", "gender", "country")
_GENDER = {"F": "female", "M": "male", "U": "other"}
_AGE = {"55-64": "55+", "65+": "55+"}
_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")


class PermissionDenied(ExtractError):
    """The token may not read this object (an account that did not grant insights)."""


def _error(doc: Any) -> dict[str, Any]:
    err = doc.get("error") if isinstance(doc, dict) else None
    return err if isinstance(err, dict) else {}


def classify(resp: httpx.Response, doc: Any) -> None:
    """Graph API error answers -> Retryable / AuthError / NotFound / PermissionDenied."""
    err = _error(doc)
    if resp.status_code == 200 and not err:
        return
    code, sub = err.get("code"), err.get("error_subcode")
    message = err.get("error_user_msg") or err.get("message") or resp.text[:200]
    if code in RATE_LIMIT_CODES:
        raise Retryable(f"Instagram rate limit (code {code}): {message}",
                        _retry_after(resp.headers.get("Retry-After")))  # fmt: skip
    if code == 190:
        raise AuthError(
            f"Instagram refused the token (code 190): {message}; check CLOUT_INSTAGRAM_TOKEN "
            "(a long-lived token expires after 60 days)"
        )
    if code == 110 or (code == 100 and sub in NOT_FOUND_SUBCODES):
        raise NotFound(f"Instagram cannot find the user (code {code}): {message}")
    if code in PERMISSION_CODES:
        raise PermissionDenied(f"Instagram permission denied (code {code}): {message}")
    if resp.status_code == 200:
        raise ExtractError(f"Instagram answered with an error (code {code}): {message}")


def media_type(item: dict[str, Any]) -> str | None:
    """The contract's media type of an Instagram media item."""
    product = item.get("media_product_type")
    if product == "REELS":
        return "reel"
    if product == "STORY":
        return "story"
    kind = item.get("media_type")
    return {"IMAGE": "image", "VIDEO": "video", "CAROUSEL_ALBUM": "carousel"}.get(str(kind))


def account_row(bd: dict[str, Any], entry: RosterEntry) -> dict[str, Any]:
    """A ``business_discovery`` object -> an ``accounts`` row."""
    bio = bd.get("biography")
    return {
        "platform": "instagram", "account_id": bd.get("id"),
        "handle": bd.get("username") or entry.handle, "display_name": bd.get("name"),
        "category": entry.category, "country": None, "language": None,
        "followers": bd.get("followers_count"), "following": bd.get("follows_count"),
        "media_count": bd.get("media_count"), "is_verified": None,
        "is_private": False,  # discovery only finds public professional accounts
        "biography_length": len(bio) if isinstance(bio, str) else None, "created_at": None,
    }  # fmt: skip


def post_row(item: dict[str, Any], account_id: str) -> dict[str, Any]:
    """A media item -> a ``posts`` row."""
    return {
        "platform": "instagram", "post_id": item.get("id"), "account_id": account_id,
        "published_at": item.get("timestamp"), "media_type": media_type(item),
        "is_sponsored": None, "campaign_id": None, "promo_code": None,
        "likes": item.get("like_count"), "comments": item.get("comments_count"),
        "shares": None, "saves": None, "views": None,
    }  # fmt: skip


def audience_rows(account_id: str, dimension: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``follower_demographics`` answer of one breakdown -> ``audience`` rows (shares of the
    dimension summing to 1; buckets the contract merges are added up)."""
    counts: dict[str, float] = {}
    for metric in doc.get("data") or []:
        for bd in ((metric.get("total_value") or {}).get("breakdowns")) or []:
            keys = bd.get("dimension_keys") or []
            if keys != [dimension]:
                continue
            for r in bd.get("results") or []:
                values, value = r.get("dimension_values") or [], r.get("value")
                if len(values) != 1 or not isinstance(value, int | float):
                    continue
                bucket = str(values[0])
                if dimension == "gender":
                    bucket = _GENDER.get(bucket, bucket)
                elif dimension == "age":
                    bucket = _AGE.get(bucket, bucket)
                counts[bucket] = counts.get(bucket, 0.0) + float(value)
    total = sum(counts.values())
    if total <= 0:
        return []
    return [
        {"platform": "instagram", "account_id": account_id, "dimension": dimension,
         "bucket": b, "share": c / total}
        for b, c in counts.items()
    ]  # fmt: skip


class InstagramSource:
    """The Instagram Graph API (business discovery and insights), read for the roster."""

    name = "instagram_graph"
    platform = "instagram"

    def __init__(self, cfg: HttpConfig, token: str, business_id: str) -> None:
        self.cfg = cfg
        self.token = token
        self.business_id = business_id

    def extract(self, dt: date, roster: Sequence[RosterEntry]) -> Extracted:
        """Accounts and media by business discovery, audience from insights where granted."""
        http = JsonHttp(self.cfg, classify, headers={DATE_HEADER: dt.isoformat()})
        responses: list[tuple[str, bytes]] = []
        rows = empty_rows()
        looked: list[RosterEntry] = []
        seen: set[str] = set()

        def get(path: str, params: dict[str, Any]) -> dict[str, Any]:
            body, doc = http.call("GET", path, params={**params, "access_token": self.token})
            shown = " ".join(f"{k}={v}" for k, v in params.items())
            responses.append((f"GET {path} {shown}", body))
            return dict(doc)

        with http:
            for e in roster:
                if not e.handle or not _USERNAME.match(e.handle):
                    looked.append(e.not_found(
                        "instagram business discovery finds accounts by username: the roster "
                        f"gives {'an invalid handle' if e.handle else 'no handle'} for {e.ref}"
                    ))  # fmt: skip
                    continue
                try:
                    bd, media = self._discover(get, e.handle, dt)
                except NotFound as nf:
                    looked.append(e.not_found(f"instagram business discovery: {nf}"))
                    continue
                account_id = str(bd.get("id"))
                looked.append(e.found(account_id, bd.get("username")))
                if account_id in seen:
                    continue
                seen.add(account_id)
                rows["accounts"].append(account_row(bd, e))
                rows["posts"].extend(post_row(m, account_id) for m in media)
                if e.insights:
                    rows["audience"].extend(self._audience(get, account_id))
        return Extracted("instagram", self.cfg.base_url, rows, looked, responses,
                         calls=http.calls)  # fmt: skip

    def _discover(
        self, get: Any, handle: str, dt: date
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        start, end = window(dt)
        media_spec = f"media.limit({MEDIA_PAGE}){{{MEDIA_FIELDS}}}"
        fields = f"business_discovery.username({handle}){{{ACCOUNT_FIELDS},{media_spec}}}"
        doc = get(f"/{self.business_id}", {"fields": fields})
        bd = doc.get("business_discovery")
        if not isinstance(bd, dict):
            raise ExtractError(f"Instagram business discovery of {handle}: no business_discovery")
        kept: list[dict[str, Any]] = []
        cursors: set[str] = set()
        page = bd.get("media") or {}
        while True:
            older = False
            for m in page.get("data") or []:
                ts = parse_ts(str(m.get("timestamp", "")).replace("+0000", "+00:00"))
                if ts is not None and ts < start:
                    older = True
                elif ts is None or ts < end:
                    kept.append(m)
            after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
            if older or not after or not (page.get("paging") or {}).get("next"):
                return bd, kept
            if after in cursors:
                raise ExtractError(f"Instagram media of {handle}: cursor {after} repeats")
            cursors.add(after)
            spec = f"media.after({after}).limit({MEDIA_PAGE}){{{MEDIA_FIELDS}}}"
            more = get(f"/{self.business_id}",
                       {"fields": f"business_discovery.username({handle}){{{spec}}}"})  # fmt: skip
            page = (more.get("business_discovery") or {}).get("media") or {}

    def _audience(self, get: Any, account_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for dim in BREAKDOWNS:
            params = {"metric": "follower_demographics", "period": "lifetime",
                      "metric_type": "total_value", "breakdown": dim}  # fmt: skip
            try:
                doc = get(f"/{account_id}/insights", params)
            except (PermissionDenied, NotFound):
                return []  # no access granted after all: no audience, not an error
            rows.extend(audience_rows(account_id, dim, doc))
        return rows


__all__ = ["InstagramSource", "QuotaExceeded", "classify"]
