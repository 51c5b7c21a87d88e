"""API columns of one (entity, day) and their assembly into the DataFrame the API serves.

An entity module builds ``Columns``: a dict of numpy arrays, Arrow arrays and
:class:`NullableInt` in schema order, plus the platform code of every row, so that the
platform filter is a take on arrays that are already built (the extractor asks for one platform
at a time; the World caches the unfiltered columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.contracts import SOURCE_TABLES

from ._arrays import Array

__all__ = ["Columns", "NullableInt", "to_frame"]


@dataclass
class NullableInt:
    """An integer column with a null mask (pandas ``Int64`` once assembled)."""

    values: Array
    null: Array


#: (columns by schema field, in schema order; platform code of every row)
Columns = tuple[dict[str, Any], Array]


def to_frame(
    name: str, cols: dict[str, Any], plat: Array, platform_code: int | None
) -> pd.DataFrame:
    """Assemble API columns (numpy / Arrow / nullable ints) into a DataFrame in schema order."""
    names = SOURCE_TABLES[name].schema.names
    assert list(cols) == names, (name, list(cols), names)
    sel: Array | None = None
    if platform_code is not None:
        sel = np.flatnonzero(np.asarray(plat) == platform_code)
    data: dict[str, Any] = {}
    for col, v in cols.items():
        if isinstance(v, NullableInt):
            values, null = (v.values, v.null) if sel is None else (v.values[sel], v.null[sel])
            values = np.where(null, 0, values).astype(np.int64)
            data[col] = pd.arrays.IntegerArray(values, null.astype(bool))
        elif isinstance(v, pa.Array | pa.ChunkedArray):
            arr = v if sel is None else pc.take(v, pa.array(sel))
            data[col] = arr.to_pandas()
        else:
            data[col] = np.asarray(v) if sel is None else np.asarray(v)[sel]
    return pd.DataFrame(data, columns=names)
