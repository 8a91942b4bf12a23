"""Errors of the MLflow registry domain. Each one names what is missing and what to do. Airflow-free."""

from __future__ import annotations

from airflow_mlmonitor.exceptions import InvalidInputError, MLMonitorError


class RegistryError(MLMonitorError):
    """The MLflow registry refused or could not complete an operation."""


class ModelNotFoundError(RegistryError, InvalidInputError):
    """A registered model, version, alias or run does not exist."""


class MetricMissingError(InvalidInputError):
    """A comparison rule names a metric the candidate or baseline run did not log (or logged NaN)."""


class NoBaselineError(InvalidInputError):
    """The baseline reference resolves to nothing and ``promote_if_no_baseline`` is False."""


class NothingToRollBackError(RegistryError):
    """A rollback has no earlier, not-rolled-back version to move the alias to. Nothing was changed."""


class RegistryUnavailableError(RegistryError):
    """The MLflow server refused the connection, timed out or answered with a server error."""


class LostRaceError(RegistryError):
    """Another mover changed the alias between the decision and the move: nothing was changed by
    this move (or it was undone by a writer outside the lease). Never a success."""


class LeaseBusyError(RegistryError):
    """Another mover held the model's registry lease for longer than this mover would wait."""


class RolledBackError(ModelNotFoundError):
    """A reference points to a version tagged ``mlmonitor.rolled_back_at`` (use
    ``include_rolled_back=True`` to use it anyway)."""
