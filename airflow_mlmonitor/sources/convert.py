"""``as_source``: turn whatever a user passed as ``data``/``reference``/``current`` into a Source."""

from __future__ import annotations

import copy
import os
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.sources.base import Source
from airflow_mlmonitor.sources.callables import CallableSource
from airflow_mlmonitor.sources.files import FileSource

ACCEPTED = "a path, URL, ObjectStoragePath, a callable returning a pandas DataFrame, or a Source"


def is_storage_path(value: Any) -> bool:
    """An ``ObjectStoragePath`` (or any universal-pathlib path), recognised without importing Airflow."""
    return hasattr(value, "protocol") and hasattr(value, "fs") and hasattr(value, "open")


def is_unresolved(value: Any) -> bool:
    """An Airflow reference resolved only at run time (``XComArg``, ``LiteralValue``...): it has
    ``resolve()`` and is neither a Source nor a path. Operators convert it after rendering."""
    return (
        not isinstance(value, (Source, str, os.PathLike))
        and not is_storage_path(value)
        and callable(getattr(value, "resolve", None))
    )


def as_source(value: Any, *, conn_id: str | None = None, name: str = "data") -> Source:
    """A :class:`Source` for ``value``: a Source (returned as is, given ``name``/``conn_id`` when it
    has none), a local path or URL string, an ``os.PathLike``, an ``ObjectStoragePath``, or a
    callable returning a DataFrame (wrapped, called at execute time only).

    :param conn_id: connection for a remote file URL (ignored for other kinds).
    :param name: the parameter name (``data``, ``reference``...), used in every message.
    """
    if isinstance(value, Source):
        return _adopt(value, conn_id=conn_id, name=name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInputError(f"{name}: no input given; pass {ACCEPTED}.")
    if type(value).__name__ == "DataFrame":
        raise InvalidInputError(
            f"{name}: pass a path, URL or a callable returning a DataFrame, not a DataFrame object "
            "(DAG files are serialised; a DataFrame would be embedded in the DAG)."
        )
    if isinstance(value, (str, os.PathLike)) or is_storage_path(value):
        return FileSource(value, conn_id=conn_id, name=name)
    if callable(value):
        return CallableSource(value, name=name)
    raise InvalidInputError(f"{name}: cannot read a {type(value).__name__} ({value!r:.80}); pass {ACCEPTED}.")


def _adopt(source: Source, *, conn_id: str | None, name: str) -> Source:
    """The source, named after its parameter, with the operator's connection if it has none."""
    takes_conn = isinstance(source, FileSource) and source.conn_id is None and conn_id is not None
    if source.name == name and not takes_conn:
        return source
    adopted = copy.copy(source)
    adopted.name = name
    if takes_conn:
        assert isinstance(adopted, FileSource)
        adopted.conn_id = conn_id
        adopted.__dict__.pop("_parquet", None)
    return adopted
