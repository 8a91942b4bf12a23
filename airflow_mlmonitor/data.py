"""Load the ``data`` / ``reference`` / ``current`` inputs of check operators.

A source is a local path, an fsspec/ObjectStoragePath URL (``file://``, ``s3://``... with an optional
connection id), an ``ObjectStoragePath``, or a callable returning a ``pandas.DataFrame`` (called at
execute time only). The format comes from the suffix. DataFrames never travel through XCom.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

DataSource = Union[str, "os.PathLike[str]", Callable[[], "pd.DataFrame"]]

#: suffix -> pandas reader name and keyword arguments
FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    ".parquet": ("read_parquet", {}),
    ".pq": ("read_parquet", {}),
    ".csv": ("read_csv", {}),
    ".json": ("read_json", {}),
    ".jsonl": ("read_json", {"lines": True}),
}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def source_format(source: Any) -> str:
    """Return the suffix that decides how ``source`` is read, or raise a clear error."""
    name = str(getattr(source, "path", None) or source).rstrip("/")
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in FORMATS:
        raise DataLoadError(
            f"Cannot tell the format of {str(source)!r}: unknown suffix {suffix or '(none)'!r}. "
            f"Use one of {', '.join(FORMATS)}, or pass a callable returning a pandas DataFrame."
        )
    return suffix


def describe(source: Any) -> str:
    """A short human name for a source, for messages and logs."""
    if callable(source) and not isinstance(source, (str, os.PathLike)):
        return f"callable {getattr(source, '__qualname__', repr(source))}"
    return repr(str(source))


def _to_storage_path(source: Any, conn_id: str | None) -> Any:
    from airflow.sdk import ObjectStoragePath

    if isinstance(source, ObjectStoragePath):
        return source
    return ObjectStoragePath(str(source), conn_id=conn_id)


def _read_file(source: Any, conn_id: str | None) -> pd.DataFrame:
    import pandas as pd

    reader, kwargs = FORMATS[source_format(source)]
    is_local = isinstance(source, (str, os.PathLike)) and not _URL.match(str(source))
    if is_local and conn_id is None:
        path = os.path.expanduser(os.fspath(source))
        if not os.path.isfile(path):
            raise DataLoadError(f"Input file {path!r} does not exist (or is not a file).")
        return getattr(pd, reader)(path, **kwargs)
    storage_path = _to_storage_path(source, conn_id)
    try:
        exists = storage_path.is_file()
    except Exception as err:
        raise DataLoadError(f"Cannot reach {str(source)!r}: {type(err).__name__}: {err}") from err
    if not exists:
        raise DataLoadError(f"Input {str(source)!r} does not exist (or is not a file).")
    with storage_path.open("rb") as handle:
        return getattr(pd, reader)(handle, **kwargs)


def load_frame(
    source: Any, *, conn_id: str | None = None, name: str = "data", allow_empty: bool = False
) -> pd.DataFrame:
    """Load one input as a DataFrame (inside a ``load`` trace span: see ``telemetry.tracing``).

    :param source: path, URL, ObjectStoragePath or callable (see module docstring).
    :param conn_id: connection for remote object storage URLs.
    :param name: the parameter name, used in error messages (``data``, ``reference``...).
    :param allow_empty: when False, a frame with no rows or no columns is an error.
    """
    from airflow_mlmonitor.telemetry.tracing import set_attributes, stage

    with stage("load", input=name, source=describe(source)) as span:
        frame = _load_frame(source, conn_id=conn_id, name=name, allow_empty=allow_empty)
        set_attributes(span, rows=frame.shape[0], columns=frame.shape[1])
    return frame


def _load_frame(source: Any, *, conn_id: str | None, name: str, allow_empty: bool) -> pd.DataFrame:
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        raise InvalidInputError(
            f"{name}: pass a path, URL or a callable returning a DataFrame, not a DataFrame object "
            "(DAG files are serialised; a DataFrame would be embedded in the DAG)."
        )
    if source is None or (isinstance(source, str) and not source.strip()):
        raise InvalidInputError(f"{name}: no input given; pass a path, URL or callable.")
    if callable(source) and not isinstance(source, (str, os.PathLike)):
        try:
            frame = source()
        except Exception as err:
            raise DataLoadError(
                f"{name}: {describe(source)} raised {type(err).__name__}: {err}"
            ) from err
        if not isinstance(frame, pd.DataFrame):
            raise DataLoadError(
                f"{name}: {describe(source)} returned {type(frame).__name__}, expected a pandas DataFrame."
            )
    else:
        try:
            frame = _read_file(source, conn_id)
        except DataLoadError:
            raise
        except Exception as err:
            raise DataLoadError(
                f"{name}: could not read {describe(source)} as {source_format(source)}: "
                f"{type(err).__name__}: {err}"
            ) from err
    if not allow_empty and (frame.shape[0] == 0 or frame.shape[1] == 0):
        raise InvalidInputError(
            f"{name}: {describe(source)} is empty ({frame.shape[0]} rows x {frame.shape[1]} columns); "
            "a check needs at least one row and one column."
        )
    return frame
