"""A JSON-over-HTTP client for the platforms' own APIs, with the retry policy of the clout API
client (:mod:`pipeline.extract.platform_api`): 429 (honouring ``Retry-After``), 5xx, timeouts
and cut pages are retried with exponential backoff (tenacity); what retrying cannot fix
(a spent quota, a bad token) is raised at once. Each platform says which of its error bodies
mean what through ``classify``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from pipeline.extract.platform_api import ExtractError, _retry_after, _Retryable

log = logging.getLogger(__name__)

#: Raised by a platform's ``classify`` for a throttled answer that is worth retrying.
Retryable = _Retryable


class QuotaExceeded(ExtractError):
    """The platform's quota is spent: this platform stops for the night, nothing lands."""


class AuthError(ExtractError):
    """The platform refused the credentials."""


class NotFound(ExtractError):
    """The platform does not know the object asked for (an unknown or deleted account)."""


@dataclass(frozen=True)
class HttpConfig:
    """Connection and retry settings of one platform client."""

    base_url: str
    timeout_s: float = 30.0
    max_retries: int = 6
    backoff_max_s: float = 30.0


#: ``classify(response, parsed_body)``: raise for an error answer (``Retryable``,
#: ``QuotaExceeded``, ``AuthError``, ``ExtractError``); return for a good one.
Classify = Callable[[httpx.Response, Any], None]


class JsonHttp:
    """One pooled HTTP client for one platform API; counts its calls."""

    def __init__(
        self,
        cfg: HttpConfig,
        classify: Classify,
        *,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cfg = cfg
        self._classify = classify
        self._sleep = sleep
        self.calls = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(
            base_url=cfg.base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(cfg.timeout_s, connect=min(cfg.timeout_s, 10.0)),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JsonHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.cfg.backoff_max_s)
        n = state.attempt_number
        return float(min(0.2 * 2 ** (n - 1), self.cfg.backoff_max_s))

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, Any]:
        """One request: (raw body, parsed JSON), retried on throttling and transient faults."""
        where = f"{method} {self.cfg.base_url.rstrip('/')}{path}"
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            stop=stop_after_attempt(self.cfg.max_retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda s: log.info(
                "retrying %s: %s", where, s.outcome.exception() if s.outcome else ""
            ),
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, path, params, body, headers, where)
        except _Retryable as e:
            raise ExtractError(
                f"{where}: gave up after {self.cfg.max_retries} retries: {e}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        headers: dict[str, str] | None,
        where: str,
    ) -> tuple[bytes, Any]:
        with self._lock:
            self.calls += 1
        try:
            resp = self._http.request(method, path, params=params, json=body, headers=headers)
        except httpx.TimeoutException as e:
            raise _Retryable(f"timeout ({type(e).__name__})") from None
        except httpx.TransportError as e:
            raise _Retryable(f"cannot connect: {e}") from None
        raw = resp.content
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            if resp.status_code == 200:
                raise _Retryable(f"answer is not valid JSON ({len(raw)} bytes)") from None
            doc = None
        self._classify(resp, doc)
        if resp.status_code == 429:
            raise _Retryable("429 throttled", _retry_after(resp.headers.get("Retry-After")))
        if resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code in (401, 403):
            raise AuthError(f"{where}: HTTP {resp.status_code}: {resp.text[:300]}")
        if resp.status_code != 200:
            raise ExtractError(f"{where}: HTTP {resp.status_code}: {resp.text[:300]}")
        if not isinstance(doc, dict):
            raise ExtractError(f"{where}: the answer is not a JSON object")
        return raw, doc
