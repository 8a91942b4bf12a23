"""Dataset namespace and name of a data input, after the OpenLineage naming spec.

- local file: namespace ``file``, name the absolute path;
- object storage URL (``s3://bucket/key``, ``gs://``, ``abfs://``...): namespace ``{scheme}://{bucket}``,
  name the key;
- SQL source (``conn_id`` plus ``table``): namespace ``{scheme}://{host}:{port}`` of its connection
  (``postgres://db.example:5432``), name ``{database}.{schema}.{table}``;
- Spark source: a ``path`` is named as the file/object it is; a ``table`` is ``{database}.{table}``
  in the metastore namespace of its connection (``hive://host:port``), else ``spark_catalog``.

Callables have no dataset (None). Sources are duck-typed by their ``path`` / ``table`` / ``schema`` /
``conn_id`` attributes, so this module needs no import of the source classes.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: Default ports of the OpenLineage namespaces of common databases.
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "mssql": 1433, "redshift": 5439, "oracle": 1521, "trino": 8080}
#: Airflow connection types -> OpenLineage namespace schemes.
SCHEMES = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mssql": "mssql",
           "redshift": "redshift", "oracle": "oracle", "trino": "trino", "sqlite": "sqlite"}


@dataclasses.dataclass(frozen=True)
class ConnectionInfo:
    """What naming needs of an Airflow connection."""

    conn_type: str
    host: str | None = None
    port: int | None = None
    database: str | None = None


@dataclasses.dataclass(frozen=True)
class DatasetName:
    namespace: str
    name: str


ConnLookup = Callable[[str], "ConnectionInfo | None"]


def url_name(url: str) -> DatasetName:
    """``s3://bucket/a/b.parquet`` -> (``s3://bucket``, ``a/b.parquet``); ``file:///x`` -> (``file``, ``/x``)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("", "file", "local"):
        return DatasetName("file", os.path.abspath(parts.netloc + parts.path if parts.netloc else parts.path))
    return DatasetName(f"{scheme}://{parts.netloc}", parts.path.lstrip("/"))


def path_name(value: Any) -> DatasetName:
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if _SCHEME.match(text):
        return url_name(text)
    return DatasetName("file", os.path.abspath(text))


def _sql_name(source: Any, info: ConnectionInfo | None) -> DatasetName | None:
    table = getattr(source, "table", None)
    if not table or info is None:
        return None
    scheme = SCHEMES.get(info.conn_type.lower(), info.conn_type.lower())
    if scheme == "sqlite":
        return DatasetName(f"sqlite://{info.host or info.database or ''}", str(table))
    port = info.port or DEFAULT_PORTS.get(scheme)
    namespace = f"{scheme}://{info.host or 'localhost'}" + (f":{port}" if port else "")
    parts = str(table).split(".")
    if len(parts) == 1:
        parts = [getattr(source, "schema", None) or ("public" if scheme in ("postgres", "redshift") else ""),
                 *parts]
    parts = [p for p in parts if p]
    if info.database and len(parts) < 3:
        parts = [info.database, *parts]
    return DatasetName(namespace, ".".join(parts))


def _spark_name(source: Any, info: ConnectionInfo | None) -> DatasetName | None:
    path = getattr(source, "path", None)
    if path:
        return path_name(path)
    table = getattr(source, "table", None)
    if not table:
        return None
    name = str(table) if "." in str(table) else f"default.{table}"
    if info is not None and info.host and info.conn_type.lower() in ("hive_metastore", "hive", "hiveserver2"):
        return DatasetName(f"hive://{info.host}:{info.port or 9083}", name)
    return DatasetName("spark_catalog", name)


def dataset_name(value: Any, *, conn_lookup: ConnLookup | None = None) -> DatasetName | None:
    """The OpenLineage dataset of a data input, or None (a callable, a query without a table, an
    input whose connection cannot be looked up)."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return path_name(value) if str(value).strip() else None
    if type(value).__name__ == "ObjectStoragePath" or (hasattr(value, "protocol") and hasattr(value, "as_uri")):
        return path_name(str(value))
    conn_id = getattr(value, "conn_id", None)
    info = conn_lookup(conn_id) if conn_lookup and conn_id else None
    if "spark" in type(value).__name__.lower():
        return _spark_name(value, info)
    if hasattr(value, "table"):
        return _sql_name(value, info)
    if hasattr(value, "path") and getattr(value, "path", None):
        return path_name(value.path)
    return None  # a callable or an unknown object
