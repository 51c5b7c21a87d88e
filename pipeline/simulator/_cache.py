"""The World's caches: a small thread-safe LRU.

The server generates frames from a thread pool, so several threads may ask for the same
follower state or post batch at once; each key is computed once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["LRU"]

T = TypeVar("T")


class LRU:
    """A tiny thread-safe LRU cache (per World instance); a value is computed once per key
    even when several threads ask for it at the same time."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[Any, threading.Lock] = {}

    def get(self, key: Any, make: Callable[[], T]) -> T:
        """The value of ``key``, computed by ``make()`` if it is not cached."""
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]  # type: ignore[no-any-return]
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._d:  # another thread computed it while this one waited
                    return self._d[key]  # type: ignore[no-any-return]
            value = make()
            with self._lock:
                self._d[key] = value
                self._d.move_to_end(key)
                while len(self._d) > self.maxsize:
                    self._d.popitem(last=False)
                self._inflight.pop(key, None)
        return value
