"""Vectorised JSON serialisation of a DataFrame into per-row JSON objects.

The server serialises a whole (entity, day, platform) frame once with Arrow compute kernels
(no Python loop over rows) into buffers of ``{...},{...},`` plus row offsets, so that any page
``[a, b)`` is a slice of a buffer (or a join of two slices). A frame may also be an Arrow table,
and columns named in ``raw_columns`` hold ready-made JSON text that is copied as is (how the
malformed-row fault serves values its schema type cannot hold, such as ``"12k"`` for a count).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_STR = pa.large_string()
_CONTROL = [(chr(c), f"\\u{c:04x}") for c in range(0x20) if chr(c) not in "\n\r\t"]
_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), *_CONTROL]


def _lit(s: str) -> pa.Scalar:
    return pa.scalar(s, _STR)


@dataclass(frozen=True)
class EncodedRows:
    """Rows serialised as JSON objects, each followed by a comma, with row start offsets."""

    data: memoryview
    offsets: npt.NDArray[np.int64]  #: length n + 1; row i is data[offsets[i]:offsets[i+1]-1]

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.offsets.size - 1)

    @property
    def nbytes(self) -> int:
        """Approximate memory held."""
        return len(self.data) + self.offsets.nbytes

    def page(self, start: int, stop: int) -> memoryview:
        """Rows [start, stop) as ``{...},{...}`` (no trailing comma; empty when stop <= start)."""
        stop = min(stop, self.n_rows)
        if stop <= start:
            return memoryview(b"")
        return self.data[int(self.offsets[start]) : int(self.offsets[stop]) - 1]


def _escaped(col: pa.Array) -> pa.Array:
    """String values with JSON escapes applied (a no-op scan when nothing needs escaping)."""
    s = col.cast(_STR)
    data = s.buffers()[2]
    if data is None or data.size == 0:
        return s
    raw = np.frombuffer(data, dtype=np.uint8)
    if not ((raw < 0x20) | (raw == 0x22) | (raw == 0x5C)).any():
        return s
    for ch, rep in _ESCAPES:
        s = pc.replace_substring(s, ch, rep)
    return s


def _json_strings(col: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(_lit('"'), _escaped(col), _lit('"'), _lit(""))


def _json_values(col: pa.Array) -> pa.Array:
    typ = col.type
    if pa.types.is_null(typ):
        return pa.nulls(len(col), _STR)
    if pa.types.is_dictionary(typ):
        col = col.cast(typ.value_type)
        typ = col.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return _json_strings(col)
    if pa.types.is_boolean(typ):
        return pc.if_else(col, _lit("true"), _lit("false"))
    if pa.types.is_integer(typ):
        return col.cast(_STR)
    if pa.types.is_floating(typ):
        finite = pc.is_finite(col)
        col = pc.if_else(finite, col, pa.scalar(None, typ))
        s = col.cast(_STR)
        integral = pc.and_(pc.equal(col, pc.floor(col)), pc.less(pc.abs(col), 1e15))
        return pc.if_else(integral, pc.binary_join_element_wise(s, _lit(".0"), _lit("")), s)
    if pa.types.is_timestamp(typ):
        return pc.strftime(col, format='"%Y-%m-%dT%H:%M:%SZ"').cast(_STR)
    if pa.types.is_date(typ):
        return _json_strings(col.cast(pa.string()))
    # anything else (rare): fall back to json.dumps of the Python values
    return pa.array(
        [json.dumps(v, separators=(",", ":"), default=str) for v in col.to_pylist()], _STR
    )


def json_values(arr: pa.Array) -> pa.Array:
    """The JSON text of each value of ``arr`` exactly as :func:`encode_rows` writes it."""
    return pc.fill_null(_json_values(arr), _lit("null"))


def encode_rows(
    df: pd.DataFrame | pa.Table, raw_columns: frozenset[str] = frozenset()
) -> EncodedRows:
    """Serialise every row of ``df`` as a compact JSON object (keys in column order).

    Columns in ``raw_columns`` are strings of JSON text (no nulls), written unquoted.
    """
    n = len(df) if isinstance(df, pd.DataFrame) else df.num_rows
    if n == 0:
        return EncodedRows(memoryview(b""), np.zeros(1, dtype=np.int64))
    if isinstance(df, pa.Table):
        table = df.combine_chunks()
    else:
        table = pa.Table.from_pandas(df, preserve_index=False).combine_chunks()
    parts: list[Any] = []
    literal = ""
    for i, name in enumerate(table.column_names):
        literal += ("{" if i == 0 else ",") + json.dumps(str(name)) + ":"
        col = table.column(name)
        arr = col.chunk(0) if col.num_chunks else pa.array([], col.type)
        if raw_columns and name in raw_columns:
            parts += [_lit(literal), arr.cast(_STR)]
            literal = ""
        elif arr.null_count == 0 and (
            pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        ):
            # no nulls: the quotes go into the neighbouring literals (one join pass fewer)
            parts += [_lit(literal + '"'), _escaped(arr)]
            literal = '"'
        else:
            parts += [_lit(literal), pc.fill_null(_json_values(arr), _lit("null"))]
            literal = ""
    parts.append(_lit(literal + "},"))
    rows = pc.binary_join_element_wise(*parts, _lit(""))
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset : rows.offset + n + 1]
    base = int(offsets[0])
    data = memoryview(rows.buffers()[2])[base : int(offsets[-1])]
    return EncodedRows(data, (offsets - base).astype(np.int64))


class ChunkedRows:
    """JSON rows of a DataFrame, encoded chunk by chunk in a background thread.

    A page waits only for the chunks it needs, so the first pages of a big frame are served
    while the rest is still being serialised (the client's parsing overlaps our encoding).
    """

    def __init__(
        self,
        df: pd.DataFrame | pa.Table,
        chunk_rows: int = 65_536,
        raw_columns: frozenset[str] = frozenset(),
    ) -> None:
        self.n_rows = len(df) if isinstance(df, pd.DataFrame) else df.num_rows
        self.raw_columns = raw_columns
        self.chunk_rows = max(1, chunk_rows)
        n_chunks = -(-self.n_rows // self.chunk_rows)
        self._chunks: list[EncodedRows | None] = [None] * n_chunks
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._df: pd.DataFrame | pa.Table | None = df
        if n_chunks:
            threading.Thread(target=self._run, name="clout-json-encoder", daemon=True).start()

    def _run(self) -> None:
        df = self._df
        assert df is not None
        try:
            ch = self.chunk_rows
            for i in range(len(self._chunks)):
                if isinstance(df, pa.Table):
                    enc = encode_rows(df.slice(i * ch, ch), self.raw_columns)
                else:
                    enc = encode_rows(df.iloc[i * ch : (i + 1) * ch], self.raw_columns)
                with self._cond:
                    self._chunks[i] = enc
                    self._cond.notify_all()
        except BaseException as exc:  # surfaced to the waiting request
            with self._cond:
                self._error = exc
                self._cond.notify_all()
        finally:
            self._df = None

    def _chunk(self, i: int) -> EncodedRows:
        with self._cond:
            while self._chunks[i] is None and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise RuntimeError("serialising rows failed") from self._error
            chunk = self._chunks[i]
        assert chunk is not None
        return chunk

    @property
    def nbytes(self) -> int:
        """Memory held by the encoded chunks so far (plus the frame while encoding)."""
        done = sum(c.nbytes for c in self._chunks if c is not None)
        df = self._df
        if df is None:
            return done
        if isinstance(df, pa.Table):
            return done + int(df.nbytes)
        return done + int(df.memory_usage(deep=False).sum())

    def page(self, start: int, stop: int) -> bytes:
        """Rows [start, stop) as ``{...},{...}``; blocks until those rows are encoded."""
        stop = min(stop, self.n_rows)
        if stop <= start:
            return b""
        ch = self.chunk_rows
        pieces: list[memoryview] = []
        for i in range(start // ch, (stop - 1) // ch + 1):
            lo = max(start - i * ch, 0)
            hi = min(stop - i * ch, ch)
            pieces.append(self._chunk(i).page(lo, hi))
        return b",".join(pieces)
