"""Build an ``MlflowClient`` from explicit settings: credentials, timeout and retries per client.

Airflow-free (the hook maps an Airflow Connection to :class:`MLflowSettings`). Nothing here writes
``os.environ`` or MLflow's global tracking URI.
"""

from __future__ import annotations

import dataclasses
from typing import Any

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_RETRY_BUDGET = 30.0


@dataclasses.dataclass(frozen=True)
class MLflowSettings:
    """Where MLflow is and how to talk to it.

    :param tracking_uri: ``http(s)://host:port[/path]`` or ``sqlite:///path.db`` (any MLflow store URI).
    :param registry_uri: model registry URI when it differs from ``tracking_uri``.
    :param username/password: HTTP basic auth. :param token: bearer token (wins over basic auth).
    :param timeout: seconds per HTTP request (connect and read) before failing.
    :param max_retries: retries of a transient HTTP fault (refused connection, timeout, 429/5xx),
        with capped exponential backoff (0.5 s, 1 s, 2 s... at most 10 s).
    :param retry_budget: at most this many seconds of backoff per request.
    :param artifact_location: artifact root for experiments created by ``get_or_create_experiment``
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
    retry_budget: float = DEFAULT_RETRY_BUDGET

    @property
    def effective_registry_uri(self) -> str:
        return self.registry_uri or self.tracking_uri


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


@dataclasses.dataclass(frozen=True)
class HostCreds:
    """The credentials one client sends: basic auth, or a bearer token (which wins)."""

    host: str
    username: str | None = dataclasses.field(default=None, repr=False)
    password: str | None = dataclasses.field(default=None, repr=False)
    token: str | None = dataclasses.field(default=None, repr=False)
    ignore_tls_verification: bool = False


def _host_creds(settings: MLflowSettings, uri: str) -> HostCreds:
    basic = settings.username is not None and settings.password is not None and not settings.token
    return HostCreds(
        host=uri,
        username=settings.username if basic else None,
        password=settings.password if basic else None,
        token=settings.token or None,
        ignore_tls_verification=settings.insecure,
    )


def _transport(settings: MLflowSettings, uri: str) -> Any:
    from airflow_mlmonitor.registry.rest import Transport
    from airflow_mlmonitor.registry.retry import Backoff

    creds = _host_creds(settings, uri)
    auth = (creds.username, creds.password) if creds.username is not None and creds.password is not None else None
    backoff = Backoff(base=0.5, cap=10.0, budget=settings.retry_budget, max_retries=settings.max_retries)
    return Transport(uri, auth=auth, token=creds.token, timeout=settings.timeout, backoff=backoff,
                     verify=not creds.ignore_tls_verification)


def build_client(settings: MLflowSettings) -> Any:
    """An ``mlflow.MlflowClient`` for ``settings``.

    For an http(s) server it is a :class:`~airflow_mlmonitor.registry.rest.RestClient` (a public
    ``MlflowClient`` subclass): the registry, run and experiment calls go through MLflow's REST API
    with the settings' credentials, timeout and retries. Other URIs (``sqlite:///``, a database,
    ``databricks``) get a plain ``MlflowClient`` for the tracking and registry URIs.
    """
    from mlflow import MlflowClient

    tracking, registry = settings.tracking_uri, settings.effective_registry_uri
    if _is_http(tracking) or _is_http(registry):
        if not (_is_http(tracking) and _is_http(registry)):
            from airflow_mlmonitor.exceptions import InvalidInputError

            raise InvalidInputError(
                f"tracking URI {tracking!r} and registry URI {registry!r}: both must be http(s) servers, or "
                "neither (connection extra 'registry_uri')"
            )
        from airflow_mlmonitor.registry.rest import RestClient

        return RestClient(tracking, registry, _transport(settings, tracking), _transport(settings, registry))
    return MlflowClient(tracking_uri=tracking, registry_uri=registry)


def get_or_create_experiment(client: Any, name: str, artifact_location: str | None = None) -> str:
    """The id of experiment ``name``, created (with ``artifact_location``) when missing."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_location))
