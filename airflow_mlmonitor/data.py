"""Compatibility wrappers over :mod:`airflow_mlmonitor.sources` for loading a whole input frame.

New code uses ``as_source(...)`` and the :class:`~airflow_mlmonitor.sources.Source` methods; these
functions keep the wave-1 call sites (``load_frame(source, conn_id=..., name=..., allow_empty=...)``)
working with the same messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.sources import FORMATS, as_source, source_format

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "describe", "load_frame", "source_format"]


def describe(source: Any) -> str:
    """A short human name for a source, for messages and logs."""
    try:
        return as_source(source).describe()
    except Exception:
        return repr(str(source))


def load_frame(
    source: Any, *, conn_id: str | None = None, name: str = "data", allow_empty: bool = False
) -> pd.DataFrame:
    """Load one input as a DataFrame (inside a ``load`` trace span: see ``telemetry.tracing``).

    :param source: path, URL, ObjectStoragePath, callable or Source (see :func:`~airflow_mlmonitor.sources.as_source`).
    :param conn_id: connection for remote object storage URLs.
    :param name: the parameter name, used in error messages (``data``, ``reference``...).
    :param allow_empty: when False, a frame with no rows or no columns is an error.
    """
    from airflow_mlmonitor.telemetry.tracing import set_attributes, stage

    with stage("load", input=name, source=describe(source)) as span:
        data = as_source(source, conn_id=conn_id, name=name)
        frame = data.to_frame()
        if not allow_empty:
            data.check_not_empty()
        set_attributes(span, rows=frame.shape[0], columns=frame.shape[1])
    return frame
