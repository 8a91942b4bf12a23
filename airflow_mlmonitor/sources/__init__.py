"""The one seam every data input goes through (``data``, ``reference``, ``current``).

``as_source(value)`` turns a path, URL, ``ObjectStoragePath``, callable or :class:`Source` into a
:class:`Source`; see ``docs/sources.md``. Importing this package is cheap (no pandas, no pyarrow).
"""

from __future__ import annotations

from airflow_mlmonitor.sources.base import FrameSource, Source
from airflow_mlmonitor.sources.callables import CallableSource
from airflow_mlmonitor.sources.convert import as_source
from airflow_mlmonitor.sources.files import FileSource
from airflow_mlmonitor.sources.paths import FORMATS, is_local_path, is_url, source_format
from airflow_mlmonitor.sources.pushdown import SourceNotImplementedError
from airflow_mlmonitor.sources.spark import SparkSource
from airflow_mlmonitor.sources.sql import SqlSource

__all__ = [
    "FORMATS",
    "CallableSource",
    "FileSource",
    "FrameSource",
    "Source",
    "SourceNotImplementedError",
    "SparkSource",
    "SqlSource",
    "as_source",
    "is_local_path",
    "is_url",
    "source_format",
]
