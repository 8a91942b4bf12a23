"""Text columns of a parquet file counted on their dictionary encoding, never a string per row.

Parquet stores a text column of few distinct values as dictionary pages: per row group, the
distinct strings once and an integer index per row. Read dictionary-encoded, a batch is those
indices and its dictionary, so counting the values is a ``bincount`` of the indices, and the
distinct values are the dictionary entries some index uses. A writer falls back to plain pages
once a row group's dictionary outgrows its page limit (1 MB by default); arrow would then rebuild
a dictionary value by value, which is slower than reading the strings: :func:`small_dictionary`
tells the two apart from the footer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def small_dictionary(metadata: Any, name: str) -> bool:
    """Whether every row group of the parquet ``metadata`` stores column ``name`` as dictionary
    indices. Plain strings take at least 4 bytes a value (their length), a dictionary index at
    most 3 up to 16M distinct values: the uncompressed bytes per value tell them apart."""
    leaves = [i for i in range(metadata.num_columns) if metadata.schema.column(i).path == name]
    if len(leaves) != 1:
        return False
    (index,) = leaves
    for group in range(metadata.num_row_groups):
        chunk = metadata.row_group(group).column(index)
        if not chunk.has_dictionary_page or chunk.total_uncompressed_size > 3 * max(chunk.num_values, 1):
            return False
    return True


def used_values(present: Any) -> Any:
    """The distinct values of a batch without NULLs: the dictionary entries its indices use (a
    dictionary-encoded batch), or arrow's ``unique``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(present.type):
        return pc.unique(present)
    seen = np.bincount(present.indices.to_numpy(zero_copy_only=False), minlength=len(present.dictionary))
    return present.dictionary.take(pa.array(np.flatnonzero(seen)))


def head_values(present: Any, limit: int) -> list[Any]:
    """The first ``limit`` values of a batch as Python strings (for examples in messages)."""
    import pyarrow as pa

    if limit <= 0:
        return []
    head = present.slice(0, limit)
    return (head.dictionary_decode() if pa.types.is_dictionary(head.type) else head).to_pylist()


@dataclasses.dataclass
class TextCounts:
    """What :func:`count_batches` saw: each batch's dictionary and its counts, NULLs, examples."""

    values: list[Any]
    counts: list[Any]
    nulls: int
    examples: list[Any]

    def value_counts(self, dtype: Any, name: str) -> pd.Series:
        """Exact counts per value, in code point order, as pandas' ``value_counts().sort_index()``
        gives them for the column read as ``dtype``."""
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        table = pa.table({"value": pa.chunked_array(self.values, type=pa.large_string()),
                          "count": pa.chunked_array(self.counts, type=pa.int64())})
        if len(self.values) > 1:  # a value in several batches: sum its counts
            table = table.group_by("value").aggregate([("count", "sum")]).rename_columns(["value", "count"])
        table = table.filter(pc.greater(table["count"], 0)).sort_by("value")
        return pd.Series(table["count"].to_numpy(), dtype=np.int64, name="count",
                         index=pd.Index(table["value"].to_pandas(), dtype=dtype, name=name))


def count_batches(batches: Iterable[Any], *, examples: int) -> TextCounts:
    """Count dictionary-encoded text batches: a ``bincount`` of each batch's indices, with the
    first ``examples`` non-NULL values kept for messages."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    seen = TextCounts([], [], 0, [])
    for array in batches:
        seen.nulls += array.null_count
        present = pc.drop_null(array)
        seen.values.append(present.dictionary.cast(pa.large_string()))
        seen.counts.append(pa.array(np.bincount(present.indices.to_numpy(zero_copy_only=False),
                                                minlength=len(present.dictionary)), type=pa.int64()))
        seen.examples.extend(head_values(present, examples - len(seen.examples)))
    return seen
