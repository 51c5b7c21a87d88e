"""The World's caches: a small thread-safe LRU that counts its hits and misses.

The server generates frames from a thread pool, so several threads may ask for the same
follower state or post batch at once; each key is computed once. The counts make the caching
testable without a clock (``World.cache_info``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

__all__ = ["LRU", "CacheInfo"]

T = TypeVar("T")


class CacheInfo(NamedTuple):
    """Counts of one cache, like ``functools.lru_cache``'s ``cache_info()``."""

    hits: int
    misses: int  #: values computed
    size: int
    maxsize: int


class LRU:
    """A tiny thread-safe LRU cache (per World instance); a value is computed once per key
    even when several threads ask for it at the same time."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[Any, threading.Lock] = {}
        self._hits = 0
        self._misses = 0

    def get(self, key: Any, make: Callable[[], T]) -> T:
        """The value of ``key``, computed by ``make()`` if it is not cached."""
        with self._lock:
            if key in self._d:
                self._hits += 1
                self._d.move_to_end(key)
                return self._d[key]  # type: ignore[no-any-return]
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._d:  # another thread computed it while this one waited
                    self._hits += 1
                    return self._d[key]  # type: ignore[no-any-return]
            value = make()
            with self._lock:
                self._misses += 1
                self._d[key] = value
                self._d.move_to_end(key)
                while len(self._d) > self.maxsize:
                    self._d.popitem(last=False)
                self._inflight.pop(key, None)
        return value

    def info(self) -> CacheInfo:
        """Hits, misses (values computed), current and maximum size."""
        with self._lock:
            return CacheInfo(self._hits, self._misses, len(self._d), self.maxsize)
