"""What the sources whose work runs where the data is (:mod:`.sql`, :mod:`.spark`) share.

A pushdown source is typed and templated (``table``/``sql``/``schema``/``path`` render like any
template field) and never holds a whole input in the worker when it can avoid it.
:class:`SourceNotImplementedError` stays importable for code that caught it before SQL and Spark
sources could read data; no source raises it now.
"""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError, MLMonitorError
from airflow_mlmonitor.sources.base import Source


class SourceNotImplementedError(MLMonitorError, NotImplementedError):
    """A source kind that is declared but cannot read data yet."""


def exactly_one(kind: str, **given: Any) -> None:
    names = [name for name, value in given.items() if value not in (None, "")]
    if len(names) != 1:
        options = " or ".join(f"{name}=" for name in given)
        got = ", ".join(names) if names else "none"
        raise InvalidInputError(f"{kind}: give exactly one of {options} (got {got}).")


class PushdownSource(Source):
    """Shared behaviour of the pushdown sources: ``describe()`` from their fields."""

    def _fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._fields().items() if v not in (None, ""))
        return f"{type(self).__name__}({shown})"
