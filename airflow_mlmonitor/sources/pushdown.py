"""What the sources whose work runs where the data is (:mod:`.sql`, :mod:`.spark`) share.

A pushdown source is typed and templated (``table``/``sql``/``schema``/``path`` render like any
template field) and never holds a whole input in the worker when it can avoid it. A kind that
cannot read data yet raises :class:`SourceNotImplementedError` from every data method, so a DAG
using it parses, renders and fails clearly at execute time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_mlmonitor.exceptions import InvalidInputError, MLMonitorError
from airflow_mlmonitor.sources.base import Source

if TYPE_CHECKING:
    import pandas as pd


class SourceNotImplementedError(MLMonitorError, NotImplementedError):
    """A source kind that is declared but cannot read data yet."""


def exactly_one(kind: str, **given: Any) -> None:
    names = [name for name, value in given.items() if value not in (None, "")]
    if len(names) != 1:
        options = " or ".join(f"{name}=" for name in given)
        got = ", ".join(names) if names else "none"
        raise InvalidInputError(f"{kind}: give exactly one of {options} (got {got}).")


class PushdownSource(Source):
    """Shared behaviour of the pushdown sources: describe() from their fields, and the not-yet error."""

    issue: str = ""
    what: str = ""

    def _fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._fields().items() if v not in (None, ""))
        return f"{type(self).__name__}({shown})"

    def _not_yet(self) -> NoReturn:
        raise SourceNotImplementedError(
            f"{self.name}: {self.describe()} cannot be read yet: {self.what} arrives with {self.issue}. "
            "For now pass a file path/URL or a callable returning a pandas DataFrame."
        )

    @property
    def columns(self) -> list[str]:
        self._not_yet()

    def dtypes(self) -> dict[str, str]:
        self._not_yet()

    @property
    def num_rows(self) -> int:
        self._not_yet()

    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        self._not_yet()

    def column(self, name: str) -> pd.Series:
        self._not_yet()
