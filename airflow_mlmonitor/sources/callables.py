"""A callable returning a pandas DataFrame, called once at execute time. Airflow-free."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import DataLoadError
from airflow_mlmonitor.sources.base import FrameSource

if TYPE_CHECKING:
    import pandas as pd


class CallableSource(FrameSource):
    """A user function returning a DataFrame. It is called on first data access (at execute time,
    never while the DAG is parsed or templates are rendered) and only once; the frame is cached.

    The function itself sits in no template field, so Airflow's templater never calls it.

    :param func: a function taking no arguments and returning a ``pandas.DataFrame``.
    :param name: the parameter name, for messages.
    """

    def __init__(self, func: Callable[[], Any], *, name: str = "data") -> None:
        self.func = func
        self.name = name

    def describe(self) -> str:
        return f"callable {getattr(self.func, '__qualname__', repr(self.func))}"

    def load(self) -> pd.DataFrame:
        import pandas as pd

        try:
            frame = self.func()
        except Exception as err:
            raise DataLoadError(f"{self.name}: {self.describe()} raised {type(err).__name__}: {err}") from err
        if not isinstance(frame, pd.DataFrame):
            raise DataLoadError(
                f"{self.name}: {self.describe()} returned {type(frame).__name__}, expected a pandas DataFrame."
            )
        return frame
