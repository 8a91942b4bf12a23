"""Build an ``MlflowClient`` from explicit settings: credentials, timeout and retries per client.

Airflow-free (the hook maps an Airflow Connection to :class:`MLflowSettings`). Nothing here writes
``os.environ`` or MLflow's global tracking URI.
"""

from __future__ import annotations

import dataclasses
from typing import Any

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2


@dataclasses.dataclass(frozen=True)
class MLflowSettings:
    """Where MLflow is and how to talk to it.

    :param tracking_uri: ``http(s)://host:port[/path]`` or ``sqlite:///path.db`` (any MLflow store URI).
    :param registry_uri: model registry URI when it differs from ``tracking_uri``.
    :param username/password: HTTP basic auth. :param token: bearer token (wins over basic auth).
    :param timeout: seconds per HTTP request (connect and read) before failing.
    :param max_retries: retries of a failed HTTP request (refused connection, 5xx, 429).
    :param artifact_location: artifact root for experiments created through the client
        (``sqlite:///`` stores); None keeps MLflow's default.
    """

    tracking_uri: str
    registry_uri: str | None = None
    username: str | None = dataclasses.field(default=None, repr=False)
    password: str | None = dataclasses.field(default=None, repr=False)
    token: str | None = dataclasses.field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    artifact_location: str | None = None
    insecure: bool = False

    @property
    def effective_registry_uri(self) -> str:
        return self.registry_uri or self.tracking_uri


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def _host_creds(settings: MLflowSettings, uri: str) -> Any:
    from mlflow.utils.rest_utils import MlflowHostCreds

    basic = settings.username is not None and settings.password is not None and not settings.token
    return MlflowHostCreds(
        host=uri,
        username=settings.username if basic else None,
        password=settings.password if basic else None,
        token=settings.token or None,
        ignore_tls_verification=settings.insecure,
    )


def _tracking_store(settings: MLflowSettings) -> Any:
    uri = settings.tracking_uri
    if _is_http(uri):
        from airflow_mlmonitor.registry._rest import TrackingRestStore, Transport

        transport = Transport(settings.timeout, settings.max_retries)
        return TrackingRestStore(lambda: _host_creds(settings, uri), transport)
    if settings.artifact_location and uri.startswith(("sqlite:", "postgresql", "mysql", "mssql")):
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        return SqlAlchemyStore(uri, settings.artifact_location)
    return None  # MLflow's own store for that URI


def _registry_store(settings: MLflowSettings) -> Any:
    uri = settings.effective_registry_uri
    if _is_http(uri):
        from airflow_mlmonitor.registry._rest import RegistryRestStore, Transport

        transport = Transport(settings.timeout, settings.max_retries)
        return RegistryRestStore(lambda: _host_creds(settings, uri), transport)
    return None


def build_client(settings: MLflowSettings) -> Any:
    """An ``MlflowClient`` whose stores use ``settings`` (credentials, timeout, retries, artifact root)."""
    from mlflow.tracking import MlflowClient
    from mlflow.tracking._model_registry.client import ModelRegistryClient
    from mlflow.tracking._tracking_service.client import TrackingServiceClient

    tracking_store = _tracking_store(settings)
    registry_store = _registry_store(settings)

    class _Tracking(TrackingServiceClient):  # type: ignore[misc]
        @property
        def store(self) -> Any:
            return tracking_store if tracking_store is not None else super().store

    class _Registry(ModelRegistryClient):  # type: ignore[misc]
        @property
        def store(self) -> Any:
            return registry_store if registry_store is not None else super().store

    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.effective_registry_uri)
    client._tracking_client = _Tracking(settings.tracking_uri)
    client._registry_client_lazy = _Registry(settings.effective_registry_uri, settings.tracking_uri)  # type: ignore[attr-defined]
    return client


def get_or_create_experiment(client: Any, name: str, artifact_location: str | None = None) -> str:
    """The id of experiment ``name``, created (with ``artifact_location``) when missing."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_location))
