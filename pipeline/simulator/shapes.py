"""The simulated world in the platforms' own API shapes, on the same server as ``/v1``.

* ``/youtube/v3/{channels,playlistItems,videos}``: YouTube Data API v3 (``key=`` auth).

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


def _channel(row: dict[str, Any]) -> dict[str, Any]:
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


def _video(row: dict[str, Any]) -> dict[str, Any]:
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


def _frame(request: Request, entity: str) -> pd.DataFrame:
    st = request.app.state.sim
    return st.world.frame(entity, served_day(request), "youtube")


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
    items = [_channel(r) for r in sel.to_dict("records")]
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
    items = [_video(r) for r in sel.to_dict("records")]
    return _json(_list("video", items, len(items), None))


def routes() -> list[Route]:
    """The platform-shape routes (added to the simulator's app)."""
    return [
        Route("/youtube/v3/channels", yt_channels, methods=["GET"]),
        Route("/youtube/v3/playlistItems", yt_playlist_items, methods=["GET"]),
        Route("/youtube/v3/videos", yt_videos, methods=["GET"]),
    ]
