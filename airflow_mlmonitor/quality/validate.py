"""Run Great Expectations on a pandas DataFrame (the "run the library" half). Airflow-free.

An ephemeral GX context per validation: nothing is written to disk, no usage analytics are sent,
no progress bars clutter the task log.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError

RESULT_FORMATS = ("BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE")


def normalize_result_format(value: Any) -> str | dict[str, Any]:
    """GX ``result_format``: one of :data:`RESULT_FORMATS` (any case) or a dict with ``result_format``."""
    if isinstance(value, str) and value.strip().upper() in RESULT_FORMATS:
        return value.strip().upper()
    if isinstance(value, Mapping) and str(value.get("result_format", "")).upper() in RESULT_FORMATS:
        return {**value, "result_format": str(value["result_format"]).upper()}
    raise InvalidInputError(
        f"result_format must be one of {', '.join(RESULT_FORMATS)} or a dict like "
        f"{{'result_format': 'COMPLETE', 'partial_unexpected_count': 50}}, got {value!r}."
    )


def quiet_gx_logs() -> None:
    """GX logs hundreds of INFO lines on import (docs decorators, registry); task logs run at INFO.
    Raise GX's logger to WARNING unless the user configured it."""
    logger = logging.getLogger("great_expectations")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


def ephemeral_context() -> Any:
    """An in-memory GX data context with analytics and progress bars off."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def run_validation(data: Any, suite: Any, result_format: str | Mapping[str, Any] = "SUMMARY") -> Any:
    """Validate ``data`` against a ``gx.ExpectationSuite``; return GX's validation result object.

    ``data`` is a pandas DataFrame, or a source that validates where its data lives (a SQL or
    Spark source): anything with ``gx_batch(context) -> (batch_definition, batch_parameters)``,
    which adds its own GX datasource and asset to the ephemeral context.

    Runs GX's production path, a ``ValidationDefinition`` over a whole-data batch definition, which
    fingerprints a DataFrame once (``Batch.validate`` fetches the batch twice, hashing every row
    twice).
    """
    import great_expectations as gx

    context = ephemeral_context()
    if is_gx_source(data):
        batch_definition, batch_parameters = data.gx_batch(context)
    else:
        asset = context.data_sources.add_pandas(name="mlmonitor").add_dataframe_asset(name="data")
        batch_definition = asset.add_batch_definition_whole_dataframe("data")
        batch_parameters = {"dataframe": data}
    expectations = [copy.copy(e) for e in suite.expectations]  # adding binds them to the suite
    suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="mlmonitor", data=batch_definition, suite=suite)
    )
    return definition.run(batch_parameters=batch_parameters, result_format=result_format)


def is_gx_source(data: Any) -> bool:
    """Whether ``data`` validates where it lives (has ``gx_batch``) rather than as a DataFrame."""
    return callable(getattr(data, "gx_batch", None))
