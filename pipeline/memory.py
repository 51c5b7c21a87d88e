"""Giving memory back between the steps of a run.

A step's Arrow buffers, DuckDB's and pandas' go back to their allocators when freed, and those
keep much of it for reuse: Arrow's pool (mimalloc or jemalloc) and the C library's heap each keep
hundreds of MB after a day's large table, which the next step, using another allocator, cannot
reuse. A run's peak memory is then the sum of what every allocator kept. :func:`release_memory`
between steps hands the free memory back to the operating system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    """glibc's ``malloc_trim`` (None on another C library)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Return the free memory Arrow's pool and the C heap hold to the operating system (what
    is still in use stays; a step that needs memory again allocates it again)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
