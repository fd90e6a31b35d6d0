"""Arrow columns from Python values, built from their buffers.

`pa.array` imports pandas on its first call, to tell pandas objects apart; for a load, which hands it
none, that is a quarter of a second of start-up spent for nothing (a tenth of loading 10,000 sign-ins).
`column` builds the same arrays from their buffers, for the few types a load hands DuckDB.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import accumulate

import numpy as np
import pyarrow as pa

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INTEGERS = {pa.int32(): "i", pa.int64(): "q"}  # the array module's type codes
MICROSECOND = timedelta(microseconds=1)


def _bits(flags: Iterable[bool]) -> pa.Buffer:
    """Arrow's bitmap: one bit a value, least significant first."""
    return pa.py_buffer(np.packbits(np.fromiter(flags, dtype=bool), bitorder="little").tobytes())


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch; a naive time is UTC, as pa.array takes it."""
    return ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - EPOCH) // MICROSECOND


def moment(micros: int | None) -> datetime | None:
    """The UTC time of microseconds since the epoch."""
    return None if micros is None else EPOCH + micros * MICROSECOND


def column(values: Iterable, type_: pa.DataType) -> pa.Array:
    """The array pa.array(values, type_) gives, for int32, int64, bool, string, timestamp("us", tz) and
    lists of strings; None is null."""
    values = list(values)
    n, nulls = len(values), sum(value is None for value in values)
    validity = _bits(value is not None for value in values) if nulls else None
    if type_ == pa.bool_():
        buffers = [validity, _bits(bool(value) for value in values)]
    elif type_ in INTEGERS:
        buffers = [validity, pa.py_buffer(array(INTEGERS[type_], (value or 0 for value in values)))]
    elif pa.types.is_timestamp(type_) and type_.unit == "us":
        buffers = [validity, pa.py_buffer(array("q", (0 if v is None else _micros(v) for v in values)))]
    elif type_ == pa.string():
        texts = [b"" if value is None else value.encode("utf-8") for value in values]
        offsets = array("i", accumulate(map(len, texts), initial=0))
        buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(texts))]
    elif pa.types.is_list(type_) and type_.value_type == pa.string():
        offsets = array("i", accumulate((len(value or ()) for value in values), initial=0))
        items = column([item for value in values for item in value or ()], pa.string())
        return pa.Array.from_buffers(type_, n, [validity, pa.py_buffer(offsets)], null_count=nulls, children=[items])
    else:
        raise TypeError(f"no column of {type_} from Python values here")
    return pa.Array.from_buffers(type_, n, buffers, null_count=nulls)
