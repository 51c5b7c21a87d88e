"""The simulated world in the platforms' own API shapes, on the same server as ``/v1``.

* ``/youtube/v3/{channels,playlistItems,videos}``: YouTube Data API v3 (``key=`` auth).
* ``/instagram/v21.0/{ig-user-id}?fields=business_discovery.username(h){...}`` and
  ``/instagram/v21.0/{ig-user-id}/insights?metric=follower_demographics&breakdown=...``:
  Instagram Graph API (``access_token=``); private accounts cannot be discovered (error 110).
* ``POST /tiktok/v2/research/user/info/`` and ``POST /tiktok/v2/research/video/query/``:
  TikTok Research API (``Authorization: bearer``); private users are not found.

The day served is the ``X-Clout-Date`` header the clout sources send (the real platforms
ignore it and answer with the present), else yesterday (UTC). Every answer is built from the
same world frames as the clout API (``World.frame``), so a run through a platform shape is
comparable with a run through ``/v1``: the same followers, posts and metrics, with the fields
the platform lacks left out. Injected faults (429 bursts, 500s) apply here too, in each
platform's error shape. Mapping back to the contract is the sources' job
(:mod:`pipeline.extract.sources`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._arrays import mix64

DATE_HEADER = "x-clout-date"
YT_PAGE_MAX = 50


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def served_day(request: Request) -> dt.date:
    """The day a platform-shape request is answered for."""
    raw = request.headers.get(DATE_HEADER)
    if raw:
        return dt.date.fromisoformat(raw)
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def _bad_day(request: Request) -> str | None:
    """Why the ``X-Clout-Date`` header cannot be served, or None."""
    try:
        served_day(request)
    except ValueError:
        return f"header X-Clout-Date must be YYYY-MM-DD, got {request.headers.get(DATE_HEADER)!r}"
    return None


def _nullable(v: Any) -> Any:
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v


def _stable01(key: str, salt: int) -> float:
    """A uniform in [0, 1) from a string, stable across processes (no ``hash()`` salt)."""
    acc = np.uint64(salt + 1)
    data = np.frombuffer(key.encode().ljust(((len(key) + 7) // 8) * 8, b"\0"), dtype=np.uint64)
    h = int(mix64(data ^ acc).sum(dtype=np.uint64))
    return (h >> 11) * 2.0**-53


# ---------------------------------------------------------------------------------- YouTube


def _yt_error(status: int, reason: str, message: str, **headers: str) -> Response:
    err = {"code": status, "message": message,
           "errors": [{"message": message, "domain": "youtube.quota" if "uota" in reason
                       else "global", "reason": reason}]}  # fmt: skip
    return _json({"error": err}, status, headers or None)


def _yt_guard(request: Request) -> Response | None:
    st = request.app.state.sim
    if request.query_params.get("key") != st.token:
        return _yt_error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
    if (why := _bad_day(request)) is not None:
        return _yt_error(400, "invalidParameter", why)
    fault, _ = st.next_fault()
    if fault == "429":
        ra = str(st.faults.retry_after_s)
        return _yt_error(429, "rateLimitExceeded", "Too many requests", **{"Retry-After": ra})
    if fault == "500":
        return _yt_error(500, "backendError", "Backend Error")
    return None


def _duration(post_id: str, media_type: str | None) -> str:
    u = _stable01(post_id, 3)
    if media_type == "short":
        return f"PT{15 + int(u * 45)}S"
    seconds = 61 + int(u * 1500)
    return f"PT{seconds // 60}M{seconds % 60}S"


def youtube_channel(row: dict[str, Any]) -> dict[str, Any]:
    """An ``accounts`` row of the world as a YouTube ``channels.list`` item."""
    cid = str(row["account_id"])
    bio = _nullable(row["biography_length"])
    snippet: dict[str, Any] = {
        "title": _nullable(row["display_name"]),
        "description": "x" * int(bio) if bio is not None else "",
        "customUrl": f"@{row['handle']}" if _nullable(row["handle"]) else None,
        "publishedAt": _nullable(row["created_at"]),
        "thumbnails": {
            "default": {"url": f"https://yt3.example/{cid}", "width": 88, "height": 88}
        },  # fmt: skip
        "defaultLanguage": _nullable(row["language"]),
        "localized": {"title": _nullable(row["display_name"]), "description": ""},
        "country": _nullable(row["country"]),
    }
    return {
        "kind": "youtube#channel",
        "etag": f"etag-{cid}",
        "id": cid,
        "snippet": {k: v for k, v in snippet.items() if v is not None},
        "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UU" + cid[2:]}},
        "statistics": {
            "viewCount": str(int(row["followers"]) * 37),
            "subscriberCount": str(int(row["followers"])),
            "hiddenSubscriberCount": False,
            "videoCount": str(int(_nullable(row["media_count"]) or 0)),
        },
    }


def youtube_video(row: dict[str, Any]) -> dict[str, Any]:
    """A ``posts`` row of the world as a YouTube ``videos.list`` item."""
    vid = str(row["post_id"])
    stats = {"viewCount": row["views"], "likeCount": row["likes"], "favoriteCount": 0,
             "commentCount": row["comments"]}  # fmt: skip
    return {
        "kind": "youtube#video",
        "etag": f"etag-{vid}",
        "id": vid,
        "snippet": {
            "publishedAt": row["published_at"],
            "channelId": row["account_id"],
            "title": f"video {vid}",
            "description": "",
            "categoryId": "22",
            "liveBroadcastContent": "none",
        },  # fmt: skip
        "contentDetails": {
            "duration": _duration(vid, _nullable(row["media_type"])),
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": True,
            "projection": "rectangular",
        },  # fmt: skip
        "statistics": {k: str(int(v)) for k, v in stats.items() if _nullable(v) is not None},
        "paidProductPlacementDetails": {
            "hasPaidProductPlacement": bool(_nullable(row["is_sponsored"]) or False)
        },
    }


def _frame(request: Request, entity: str, platform: str = "youtube") -> pd.DataFrame:
    st = request.app.state.sim
    return st.world.frame(entity, served_day(request), platform)


def _list(kind: str, items: list[dict[str, Any]], total: int, nxt: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": "etag"}
    if nxt:
        doc["nextPageToken"] = nxt
    doc["pageInfo"] = {"totalResults": total, "resultsPerPage": len(items)}
    doc["items"] = items
    return doc


async def yt_channels(request: Request) -> Response:
    """``GET /youtube/v3/channels?part=...&id=a,b|forHandle=@h&key=K``."""
    if (bad := _yt_guard(request)) is not None:
        return bad
    q = request.query_params
    acc = await run_in_threadpool(_frame, request, "accounts")
    if q.get("id"):
        ids = [i for i in q["id"].split(",") if i]
        if len(ids) > YT_PAGE_MAX:
            return _yt_error(400, "invalidParameter", "too many ids (at most 50)")
        sel = acc[acc["account_id"].isin(ids)]
    elif q.get("forHandle"):
        handle = q["forHandle"].lstrip("@").lower()
        sel = acc[acc["handle"].str.lower() == handle]
    else:
        return _yt_error(400, "missingRequiredParameter", "No filter selected.")
    items = [youtube_channel(r) for r in sel.to_dict("records")]
    doc = _list("channel", items, len(items), None)
    if not items:
        del doc["items"]  # YouTube leaves ``items`` out when nothing matches
    return _json(doc)


async def yt_playlist_items(request: Request) -> Response:
    """``GET /youtube/v3/playlistItems?part=contentDetails&playlistId=UU..&pageToken=``."""
    if (bad := _yt_guard(request)) is not None:
        return bad
    q = request.query_params
    playlist = q.get("playlistId", "")
    acc = await run_in_threadpool(_frame, request, "accounts")
    channel = "UC" + playlist[2:]
    if not playlist.startswith("UU") or channel not in set(acc["account_id"]):
        return _yt_error(404, "playlistNotFound", "The playlist identified with the request's "
                         "playlistId parameter cannot be found.")  # fmt: skip
    try:
        limit = min(max(int(q.get("maxResults", "5")), 0), YT_PAGE_MAX)
        offset = int(q.get("pageToken", "") or "0", 36)
    except ValueError:
        return _yt_error(400, "invalidPageToken", "The request specifies an invalid page token.")
    posts = await run_in_threadpool(_frame, request, "posts")
    mine = posts[posts["account_id"] == channel].sort_values("published_at", ascending=False)
    page = mine.iloc[offset : offset + limit]
    items = [
        {"kind": "youtube#playlistItem", "etag": f"etag-{r['post_id']}",
         "id": f"pi-{r['post_id']}",
         "contentDetails": {"videoId": r["post_id"], "videoPublishedAt": r["published_at"]}}
        for r in page.to_dict("records")
    ]  # fmt: skip
    stop = offset + limit
    nxt = np.base_repr(stop, 36) if stop < len(mine) else None
    return _json(_list("playlistItem", items, len(mine), nxt))


async def yt_videos(request: Request) -> Response:
    """``GET /youtube/v3/videos?part=...&id=a,b``."""
    if (bad := _yt_guard(request)) is not None:
        return bad
    ids = [i for i in request.query_params.get("id", "").split(",") if i]
    if len(ids) > YT_PAGE_MAX:
        return _yt_error(400, "invalidParameter", "too many ids (at most 50)")
    posts = await run_in_threadpool(_frame, request, "posts")
    sel = posts[posts["post_id"].isin(ids)]
    items = [youtube_video(r) for r in sel.to_dict("records")]
    return _json(_list("video", items, len(items), None))


# -------------------------------------------------------------------------------- Instagram

_BD_USER = re.compile(r"business_discovery\.username\(([^)]*)\)")
_BD_AFTER = re.compile(r"media\.after\(([^)]*)\)")
_BD_LIMIT = re.compile(r"media(?:\.after\([^)]*\))?\.limit\((\d+)\)")
_IG_GENDER = {"female": "F", "male": "M", "other": "U"}


def _ig_error(code: int, message: str, status: int = 400, **extra: Any) -> Response:
    err = {"message": message, "type": "OAuthException", "code": code, **extra,
           "fbtrace_id": "AbCdEfGhIjK"}  # fmt: skip
    return _json({"error": err}, status)


def _ig_guard(request: Request) -> Response | None:
    st = request.app.state.sim
    if request.query_params.get("access_token") != st.token:
        return _ig_error(190, "Invalid OAuth access token - Cannot parse access token")
    if (why := _bad_day(request)) is not None:
        return _ig_error(100, f"(#100) {why}")
    fault, _ = st.next_fault()
    if fault == "429":
        return _ig_error(4, "Application request limit reached", 403, is_transient=True)
    if fault == "500":
        return _ig_error(2, "An unexpected error has occurred. Please retry your request later.",
                         500, is_transient=True)  # fmt: skip
    return None


def instagram_media(row: dict[str, Any]) -> dict[str, Any]:
    """A ``posts`` row of the world as an Instagram media item."""
    kind = _nullable(row["media_type"])
    media_type = {"image": "IMAGE", "carousel": "CAROUSEL_ALBUM"}.get(str(kind), "VIDEO")
    product = {"reel": "REELS", "story": "STORY"}.get(str(kind), "FEED")
    ts = str(row["published_at"]).replace("Z", "+0000")
    item: dict[str, Any] = {"comments_count": int(row["comments"]), "timestamp": ts,
                            "media_type": media_type, "media_product_type": product,
                            "id": str(row["post_id"])}  # fmt: skip
    if _nullable(row["likes"]) is not None:
        item = {"like_count": int(row["likes"]), **item}
    return item


async def ig_user(request: Request) -> Response:
    """``GET /instagram/v21.0/{ig-user-id}?fields=business_discovery.username(h){...}``."""
    if (bad := _ig_guard(request)) is not None:
        return bad
    fields = request.query_params.get("fields", "")
    found = _BD_USER.search(fields)
    if not found:
        return _ig_error(100, "(#100) only business_discovery is simulated")
    username = found.group(1)
    acc = await run_in_threadpool(_frame, request, "accounts", "instagram")
    hit = acc[(acc["handle"] == username) & ~acc["is_private"].astype(bool)]
    if hit.empty:
        return _ig_error(
            110,
            "Invalid user id",
            error_subcode=2207013,
            error_user_title="Cannot find User",
            error_user_msg=f"The user with username: {username} cannot be found.",
        )
    row = hit.iloc[0].to_dict()
    bd: dict[str, Any] = {}
    if ACCOUNT_MARK in fields:
        bio = _nullable(row["biography_length"])
        bd.update({
            "followers_count": int(row["followers"]),
            "follows_count": int(_nullable(row["following"]) or 0),
            "media_count": int(_nullable(row["media_count"]) or 0),
            "name": _nullable(row["display_name"]),
            "biography": "x" * int(bio) if bio is not None else "",
            "username": username,
        })  # fmt: skip
    if re.search(r"\bmedia[.{]", fields):
        after = _BD_AFTER.search(fields)
        limit_m = _BD_LIMIT.search(fields)
        limit = min(int(limit_m.group(1)) if limit_m else 25, 100)
        try:
            offset = int(after.group(1), 36) if after else 0
        except ValueError:
            return _ig_error(100, "(#100) Invalid cursor")
        posts = await run_in_threadpool(_frame, request, "posts", "instagram")
        mine = posts[posts["account_id"] == row["account_id"]].sort_values(
            "published_at", ascending=False
        )
        page = mine.iloc[offset : offset + limit]
        media: dict[str, Any] = {"data": [instagram_media(r) for r in page.to_dict("records")]}
        stop = offset + limit
        if len(page):
            cursors = {"before": np.base_repr(offset, 36), "after": np.base_repr(stop, 36)}
            media["paging"] = {"cursors": cursors}
            if stop < len(mine):
                media["paging"]["next"] = f"https://graph.example/next?after={cursors['after']}"
        bd["media"] = media
    bd["id"] = str(row["account_id"])
    return _json({"business_discovery": bd, "id": request.path_params["node"]})


ACCOUNT_MARK = "followers_count"


async def ig_insights(request: Request) -> Response:
    """``GET /instagram/v21.0/{ig-user-id}/insights?metric=follower_demographics&...``."""
    if (bad := _ig_guard(request)) is not None:
        return bad
    q = request.query_params
    node = request.path_params["node"]
    dim = q.get("breakdown", "")
    if q.get("metric") != "follower_demographics" or dim not in ("age", "gender", "country"):
        return _ig_error(100, "(#100) metric/breakdown not simulated")
    acc = await run_in_threadpool(_frame, request, "accounts", "instagram")
    hit = acc[acc["account_id"] == node]
    if hit.empty:
        return _ig_error(100, f"(#100) Object with ID '{node}' does not exist", error_subcode=33)
    followers = int(hit.iloc[0]["followers"])
    aud = await run_in_threadpool(_frame, request, "audience", "instagram")
    mine = aud[(aud["account_id"] == node) & (aud["dimension"] == dim)]
    results: list[dict[str, Any]] = []
    for r in mine.to_dict("records"):
        count = int(round(float(r["share"]) * followers))
        bucket = str(r["bucket"])
        if dim == "country" and bucket == "other":
            continue  # Instagram lists countries only
        if dim == "age" and bucket == "55+":
            older = count * 2 // 5
            results += [{"dimension_values": ["55-64"], "value": count - older},
                        {"dimension_values": ["65+"], "value": older}]  # fmt: skip
            continue
        if dim == "gender":
            bucket = _IG_GENDER.get(bucket, bucket)
        results.append({"dimension_values": [bucket], "value": count})
    metric = {
        "name": "follower_demographics", "period": "lifetime", "title": "Follower demographics",
        "description": "The demographic characteristics of followers.",
        "total_value": {"breakdowns": [{"dimension_keys": [dim], "results": results}]},
        "id": f"{node}/insights/follower_demographics/lifetime",
    }  # fmt: skip
    return _json({"data": [metric]})


# ----------------------------------------------------------------------------------- TikTok


def _tt_error(status: int, code: str, message: str, **headers: str) -> Response:
    err = {"code": code, "message": message, "log_id": "20260302000000SIMULATOR"}
    return _json({"error": err}, status, headers or None)


def _tt_ok(data: dict[str, Any]) -> Response:
    return _json({"data": data, "error": {"code": "ok", "message": "",
                                          "log_id": "20260302000000SIMULATOR"}})  # fmt: skip


async def _tt_guard(request: Request) -> tuple[Response | None, dict[str, Any]]:
    st = request.app.state.sim
    auth = request.headers.get("authorization", "")
    if auth.lower() != f"bearer {st.token}".lower():
        return _tt_error(401, "access_token_invalid", "The access token is invalid or not "
                         "found in the request."), {}  # fmt: skip
    if (why := _bad_day(request)) is not None:
        return _tt_error(400, "invalid_params", why), {}
    fault, _ = st.next_fault()
    if fault == "429":
        ra = str(st.faults.retry_after_s)
        return _tt_error(429, "rate_limit_exceeded", "The API rate limit was exceeded. Please "
                         "try again later.", **{"Retry-After": ra}), {}  # fmt: skip
    if fault == "500":
        return _tt_error(500, "internal_error", "Something went wrong. Please try again "
                         "later."), {}  # fmt: skip
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _tt_error(400, "invalid_params", "The request body is not a JSON object."), {}
    return None, body


def tiktok_video(row: dict[str, Any], username: str) -> dict[str, Any]:
    """A ``posts`` row of the world as a TikTok research ``video/query`` video."""
    return {
        "id": int(row["post_id"]), "username": username,
        "create_time": int(pd.Timestamp(row["published_at"]).timestamp()),
        "view_count": int(row["views"]), "like_count": int(row["likes"]),
        "comment_count": int(row["comments"]), "share_count": int(row["shares"]),
        "favorites_count": int(row["saves"]),
    }  # fmt: skip


async def tt_user_info(request: Request) -> Response:
    """``POST /tiktok/v2/research/user/info/?fields=...`` with ``{"username": h}``."""
    bad, body = await _tt_guard(request)
    if bad is not None:
        return bad
    username = str(body.get("username", ""))
    acc = await run_in_threadpool(_frame, request, "accounts", "tiktok")
    hit = acc[(acc["handle"] == username) & ~acc["is_private"].astype(bool)]
    if hit.empty:
        return _tt_error(400, "invalid_params", f"User {username} does not exist or the "
                         "account is private or deactivated.")  # fmt: skip
    r = hit.iloc[0].to_dict()
    bio = _nullable(r["biography_length"])
    return _tt_ok({
        "display_name": _nullable(r["display_name"]),
        "bio_description": "x" * int(bio) if bio is not None else "",
        "avatar_url": f"https://p16.example/{username}.jpeg",
        "is_verified": bool(_nullable(r["is_verified"]) or False),
        "follower_count": int(r["followers"]), "following_count": int(_nullable(r["following"]) or 0),
        "likes_count": int(r["followers"]) * 11, "video_count": int(_nullable(r["media_count"]) or 0),
    })  # fmt: skip


async def tt_video_query(request: Request) -> Response:
    """``POST /tiktok/v2/research/video/query/?fields=...`` (username IN, date range, cursor)."""
    bad, body = await _tt_guard(request)
    if bad is not None:
        return bad
    try:
        conds = body["query"]["and"]
        users = next(c["field_values"] for c in conds if c.get("field_name") == "username")
        start = dt.datetime.strptime(str(body["start_date"]), "%Y%m%d").replace(tzinfo=dt.UTC)
        end = dt.datetime.strptime(str(body["end_date"]), "%Y%m%d").replace(tzinfo=dt.UTC)
        limit = min(int(body.get("max_count", 20)), 100)
        cursor = int(body.get("cursor", 0))
    except (KeyError, StopIteration, TypeError, ValueError) as exc:
        return _tt_error(400, "invalid_params", f"Invalid query: {exc}")
    if (end - start).days > 30:
        return _tt_error(400, "invalid_params", "end_date must be within 30 days of start_date")
    acc = await run_in_threadpool(_frame, request, "accounts", "tiktok")
    owners = acc[acc["handle"].isin(users)][["account_id", "handle"]]
    posts = await run_in_threadpool(_frame, request, "posts", "tiktok")
    mine = posts.merge(owners, on="account_id").sort_values(["published_at", "post_id"])
    ts = pd.to_datetime(mine["published_at"], utc=True)
    mine = mine[(ts >= start) & (ts < end + dt.timedelta(days=1))]
    page = mine.iloc[cursor : cursor + limit]
    videos = [tiktok_video(v, str(v["handle"])) for v in page.to_dict("records")]
    stop = cursor + len(page)
    search_id = str(body.get("search_id") or f"7{abs(hash(tuple(users))) % 10**18:018d}")
    return _tt_ok({"videos": videos, "cursor": stop, "has_more": stop < len(mine),
                   "search_id": search_id})  # fmt: skip


def routes() -> list[Route]:
    """The platform-shape routes (added to the simulator's app)."""
    return [
        Route("/tiktok/v2/research/user/info/", tt_user_info, methods=["POST"]),
        Route("/tiktok/v2/research/video/query/", tt_video_query, methods=["POST"]),
        Route("/instagram/v21.0/{node}/insights", ig_insights, methods=["GET"]),
        Route("/instagram/v21.0/{node}", ig_user, methods=["GET"]),
        Route("/youtube/v3/channels", yt_channels, methods=["GET"]),
        Route("/youtube/v3/playlistItems", yt_playlist_items, methods=["GET"]),
        Route("/youtube/v3/videos", yt_videos, methods=["GET"]),
    ]
