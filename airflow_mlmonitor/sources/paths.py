"""Where a data input lives: the one URL/scheme test, the one "is this a local path" test, and the
file formats we read (from the suffix). Airflow-free, no heavy imports."""

from __future__ import annotations

import os
import re
from typing import Any

from airflow_mlmonitor.exceptions import DataLoadError

#: ``scheme://...``: an fsspec / ObjectStoragePath URL (``file://``, ``s3://``, ``gs://``...).
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

#: suffix -> pandas reader name and keyword arguments
FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    ".parquet": ("read_parquet", {}),
    ".pq": ("read_parquet", {}),
    ".csv": ("read_csv", {}),
    ".json": ("read_json", {}),
    ".jsonl": ("read_json", {"lines": True}),
}


def is_url(value: Any) -> bool:
    """Whether ``value`` (as a string) starts with a URL scheme such as ``s3://`` or ``file://``."""
    return isinstance(value, str) and URL.match(value) is not None


def is_local_path(value: Any) -> bool:
    """A plain local path: a ``str`` or ``os.PathLike`` that is not a URL (``ObjectStoragePath`` is not
    ``os.PathLike``; its ``str()`` is a URL anyway)."""
    if not isinstance(value, (str, os.PathLike)):
        return False
    return not is_url(os.fspath(value) if isinstance(value, os.PathLike) else value)


def local_path(value: str | os.PathLike[str]) -> str:
    """A local path or ``file://`` URL as an OS path (``~`` expanded)."""
    text = os.fspath(value)
    return os.path.expanduser(text.removeprefix("file://"))


def path_name(value: Any) -> str:
    """The path part used to tell the format (an ``ObjectStoragePath``'s ``.path``, else ``str()``)."""
    return str(getattr(value, "path", None) or value).rstrip("/")


def source_format(value: Any) -> str:
    """The suffix that decides how ``value`` is read, or a clear :class:`DataLoadError`."""
    suffix = os.path.splitext(path_name(value))[1].lower()
    if suffix not in FORMATS:
        raise DataLoadError(
            f"Cannot tell the format of {str(value)!r}: unknown suffix {suffix or '(none)'!r}. "
            f"Use one of {', '.join(FORMATS)}, or pass a callable returning a pandas DataFrame."
        )
    return suffix
