"""Vectorised helpers of the simulator: counter-based hashing, id formats, ISO timestamps.

Nothing here loops over rows: every function works on whole numpy / Arrow arrays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Array = npt.NDArray[Any]

_MASK64 = (1 << 64) - 1
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)

#: ordinal of 1970-01-01 (numpy's datetime64 epoch)
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def mix64(x: Array) -> Array:
    """The splitmix64 finaliser: a bijective 64-bit avalanche mix of a uint64 array."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def _salt(seed: int, stream: int) -> np.uint64:
    s = (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & _MASK64
    return np.uint64(int(mix64(np.array([s], dtype=np.uint64))[0]))


def hash64(keys: Array, seed: int, stream: int) -> Array:
    """A uint64 hash per key, independent for each (seed, stream): counter-based randomness."""
    k = np.asarray(keys).astype(np.uint64, copy=False)
    return mix64(k * _GOLD + _salt(seed, stream))


def permute_bits(x: Array, bits: int) -> Array:
    """A bijection of [0, 2**bits): scrambles sequential numbers into id-looking ones."""
    mask = np.uint64((1 << bits) - 1)
    y = np.asarray(x).astype(np.uint64) & mask
    for mult, shift in ((0x9E3779B97F4A7C15, bits // 2), (0xC2B2AE3D27D4EB4F, bits // 3)):
        y = (y * np.uint64(mult)) & mask
        y = y ^ (y >> np.uint64(shift))
    return y


def int_strings(x: Array) -> pa.Array:
    """Decimal strings of non-negative integers (uint64 or int64)."""
    return pa.array(np.asarray(x)).cast(pa.string())


_B64 = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))


def b64_strings(x: Array, n_chars: int, prefix: str = "") -> pa.Array:
    """Fixed-width URL-safe base64 strings of uint64 values (YouTube-style ids)."""
    v = np.asarray(x).astype(np.uint64)
    shifts = np.arange(n_chars - 1, -1, -1, dtype=np.uint64) * np.uint64(6)
    shifts = np.minimum(shifts, np.uint64(63))
    digits = ((v[:, None] >> shifts[None, :]) & np.uint64(63)).astype(np.intp)
    chars = np.ascontiguousarray(_B64[digits])
    joined = chars.view(f"<U{n_chars}").reshape(-1) if len(v) else np.array([], dtype=str)
    arr = pa.array(joined, type=pa.string())
    if prefix:
        arr = pc.binary_join_element_wise(pa.scalar(prefix), arr, pa.scalar(""))
    return arr


def take_strings(vocab: list[str] | tuple[str, ...] | pa.Array, codes: Array) -> pa.Array:
    """Strings ``vocab[codes]`` as an Arrow array (codes < 0 give null)."""
    voc = vocab if isinstance(vocab, pa.Array) else pa.array(list(vocab), type=pa.string())
    c = np.asarray(codes)
    if c.size and c.min() < 0:
        idx = pa.array(c.astype(np.int64), mask=c < 0)
    else:
        idx = pa.array(c.astype(np.int64))
    return pc.take(voc, idx)


def join_strings(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of Arrow string arrays and literal strings."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))


_TIME_OF_DAY: pa.Array | None = None


def _time_of_day() -> pa.Array:
    global _TIME_OF_DAY
    if _TIME_OF_DAY is None:
        secs = np.arange(86400).astype("timedelta64[s]") + np.datetime64("1970-01-01T00:00:00", "s")
        full = pa.array(np.datetime_as_string(secs, unit="s"), type=pa.string())
        _TIME_OF_DAY = join_strings(pc.utf8_slice_codeunits(full, 10), "Z")  # "THH:MM:SSZ"
    return _TIME_OF_DAY


def iso_dates(ordinals: Array) -> Array:
    """ISO date strings (``YYYY-MM-DD``) of proleptic ordinals, as a numpy unicode array."""
    o = np.asarray(ordinals, dtype=np.int64) - EPOCH_ORDINAL
    return np.datetime_as_string(o.astype("datetime64[D]"), unit="D")


def iso_utc(day_ordinals: Array, seconds: Array) -> pa.Array:
    """ISO 8601 UTC timestamps ``YYYY-MM-DDTHH:MM:SSZ`` from day ordinals and seconds of day."""
    days = np.asarray(day_ordinals, dtype=np.int64)
    secs = np.clip(np.asarray(seconds, dtype=np.int64), 0, 86399)
    if days.size == 0:
        return pa.array([], type=pa.string())
    lo, hi = int(days.min()), int(days.max())
    if hi - lo <= 200_000:
        table = pa.array(iso_dates(np.arange(lo, hi + 1)), type=pa.string())
        date_part = pc.take(table, pa.array(days - lo))
    else:  # pragma: no cover - absurd spans only
        uniq, inv = np.unique(days, return_inverse=True)
        date_part = pc.take(pa.array(iso_dates(uniq), type=pa.string()), pa.array(inv))
    return join_strings(date_part, pc.take(_time_of_day(), pa.array(secs)))


def rng_for(*key: int) -> np.random.Generator:
    """A numpy Generator seeded from a tuple of non-negative ints."""
    return np.random.default_rng([int(k) for k in key])


def log_uniform(rng: np.random.Generator, lo: float, hi: float, size: Any) -> Array:
    """Log-uniform floats in [lo, hi)."""
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def group_rank(sorted_groups: Array) -> Array:
    """0, 1, 2, ... within each run of equal values of an already grouped array."""
    g = np.asarray(sorted_groups)
    n = g.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


class HashDraws:
    """Counter-based uniform and normal draws per key, two draws per 64-bit hash.

    ``uniform(s)`` and ``uniform(s ^ 1)`` share one hash (its high and low 32 bits);
    ``normal(s)`` and ``normal(s ^ 1)`` are the cosine and sine of one Box-Muller pair. A hash
    is kept only until its second half is used.
    """

    def __init__(self, keys: Array, seed: int, stream: int) -> None:
        self._keys = np.asarray(keys).astype(np.uint64, copy=False)
        self._seed = seed
        self._stream = stream
        self._pending: dict[tuple[str, int], Array] = {}  # hashes / normals not used yet

    def _hash(self, slot: int) -> tuple[Array, int]:
        pair, half = divmod(slot, 2)
        key = ("u", pair)
        h = self._pending.pop(key, None)
        if h is None:
            h = hash64(self._keys, self._seed, self._stream + 2 * pair)
            self._pending[key] = h  # until the other half is asked for
        return h, half

    @staticmethod
    def _bits(h: Array, half: int) -> Array:
        bits = (h >> np.uint64(32)) if half == 0 else (h & np.uint64(0xFFFFFFFF))
        return bits.astype(np.float64) * (2.0**-32)

    def uniform(self, slot: int) -> Array:
        """Uniform floats in [0, 1) (32-bit resolution)."""
        h, half = self._hash(slot)
        return self._bits(h, half)

    def normal(self, slot: int) -> Array:
        """Standard normal floats (Box-Muller in float32; the partner draw is kept for later)."""
        pair, half = divmod(slot, 2)
        ready = self._pending.pop(("z", slot), None)
        if ready is not None:
            return ready.astype(np.float64)
        h = hash64(self._keys, self._seed, self._stream + 2 * pair + 1)
        tail = (1.0 - self._bits(h, 0)).astype(np.float32)  # in (0, 1]: log is finite
        angle = self._bits(h, 1).astype(np.float32) * np.float32(2.0 * np.pi)
        del h
        radius = np.sqrt(np.float32(-2.0) * np.log(tail))
        cos, sin = radius * np.cos(angle), radius * np.sin(angle)
        mine, other = (cos, sin) if half == 0 else (sin, cos)
        self._pending[("z", slot ^ 1)] = other
        return mine.astype(np.float64)
