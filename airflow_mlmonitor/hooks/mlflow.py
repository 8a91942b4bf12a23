"""``MLflowHook``: turns an ``mlflow`` Airflow Connection into an ``MlflowClient``, nothing else.

How the Connection maps to MLflow (credentials never go to ``os.environ``); every extra below is
also a field of the connection form (``conn-fields`` in provider info):

- extra ``tracking_uri``: the full tracking URI; when set it wins over host/port/schema.
- **host**: the tracking URI. A full URI is used as is: ``http://mlflow:5000``,
  ``https://mlflow.example.com/prefix`` or ``sqlite:////abs/path/mlflow.db``. A bare host name
  becomes ``{schema or "http"}://{host}``. **port**, when set, is added to an http(s) URI without
  one. **schema**: ``http`` (default) or ``https`` for a bare host name.
- **login** + **password**: HTTP basic auth. **password** without login, or extra ``token``: a
  bearer token.
- extra ``registry_uri``: model registry URI when it differs from the tracking URI.
- extra ``timeout`` (seconds per request, default 30) and ``max_retries`` (default 2): transient
  faults (refused connection, timeout, 429/5xx) are retried with capped exponential backoff, so a
  refused or silent server fails within about ``timeout * (max_retries + 1)`` plus the backoff.
- extra ``artifact_location``: artifact root for experiments created through the hook and the
  default artifact root of a ``sqlite:///`` store.
- extra ``insecure``: skip TLS verification (tests only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook

from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    from airflow_mlmonitor.registry.client import MLflowSettings


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def settings_from_connection(conn: Any) -> MLflowSettings:
    """Map an Airflow ``Connection`` to :class:`MLflowSettings` (see the module docstring)."""
    from airflow_mlmonitor.registry.client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, MLflowSettings

    extra = dict(conn.extra_dejson or {})
    uri = str(extra.get("tracking_uri") or conn.host or "").strip()
    if not uri:
        raise InvalidInputError(
            f"connection {conn.conn_id!r} has no host: set it to the MLflow tracking URI, e.g. "
            "'http://mlflow:5000' or 'sqlite:////path/to/mlflow.db'"
        )
    if "://" not in uri and not uri.startswith(("sqlite:", "file:", "databricks")):
        uri = f"{(conn.schema or 'http').strip().lower()}://{uri}"
    parts = urlsplit(uri)
    if parts.scheme in {"http", "https"} and conn.port and not parts.port:
        uri = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{int(conn.port)}"))
    token = extra.get("token") or (conn.password if conn.password and not conn.login else None)
    try:
        timeout = float(extra.get("timeout", DEFAULT_TIMEOUT))
        max_retries = int(extra.get("max_retries", DEFAULT_MAX_RETRIES))
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"connection {conn.conn_id!r}: extra timeout/max_retries must be numbers") from err
    if timeout <= 0 or max_retries < 0:
        raise InvalidInputError(f"connection {conn.conn_id!r}: timeout must be > 0 and max_retries >= 0")
    return MLflowSettings(
        tracking_uri=uri.rstrip("/"),
        registry_uri=extra.get("registry_uri") or None,
        username=conn.login or None,
        password=conn.password if conn.login else None,
        token=token or None,
        timeout=timeout,
        max_retries=max_retries,
        artifact_location=extra.get("artifact_location") or None,
        insecure=_truthy(extra.get("insecure", False)),
    )


class MLflowHook(BaseHook):
    """Interact with an MLflow tracking server / model registry.

    :param mlflow_conn_id: an ``mlflow`` connection (default ``mlflow_default``).
    """

    conn_name_attr = "mlflow_conn_id"
    default_conn_name = "mlflow_default"
    conn_type = "mlflow"
    hook_name = "MLflow"

    def __init__(self, mlflow_conn_id: str = default_conn_name, *, connection: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mlflow_conn_id = mlflow_conn_id
        self._connection = connection
        self._client: Any = None

    @property
    def settings(self) -> MLflowSettings:
        if self._connection is None:
            self._connection = self.get_connection(self.mlflow_conn_id)
        return settings_from_connection(self._connection)

    def get_conn(self) -> Any:
        """An ``mlflow.MlflowClient`` configured from the connection (cached on the hook).

        For an http(s) server it is a ``MlflowClient`` subclass whose registry, run and experiment
        calls go through MLflow's REST API with the connection's credentials, timeout and retries
        (:mod:`airflow_mlmonitor.registry.rest`); its artifact and other calls are MLflow's own."""
        if self._client is None:
            from airflow_mlmonitor.registry.client import build_client

            self._client = build_client(self.settings)
        return self._client

    def get_or_create_experiment(self, name: str) -> str:
        """Experiment id of ``name``, created under the connection's ``artifact_location`` if missing."""
        from airflow_mlmonitor.registry.client import get_or_create_experiment

        return get_or_create_experiment(self.get_conn(), name, self.settings.artifact_location)

    def test_connection(self) -> tuple[bool, str]:
        try:
            settings = self.settings
            models = self.get_conn().search_registered_models(max_results=1)
        except Exception as err:
            return False, f"Could not reach MLflow: {str(err).splitlines()[0] if str(err) else err!r}"
        return True, f"Connected to MLflow at {settings.tracking_uri} ({len(models)} registered model(s) seen)"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Same as ``ui-field-behaviour`` in provider info (Airflow < 3.2 reads it from here)."""
        behaviour = _provider_conn_type()["ui-field-behaviour"]
        return {
            "hidden_fields": behaviour["hidden-fields"],
            "relabeling": behaviour["relabeling"],
            "placeholders": behaviour["placeholders"],
        }

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Same as ``conn-fields`` in provider info, as wtforms widgets for Airflow < 3.2."""
        try:
            from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
            from wtforms import StringField
        except ImportError:
            return {}
        fields = _provider_conn_type()["conn-fields"]
        return {
            name: StringField(spec.get("label", name), widget=BS3TextFieldWidget(), description=spec.get("description"))
            for name, spec in fields.items()
        }


def _provider_conn_type() -> dict[str, Any]:
    from airflow_mlmonitor.get_provider_info import CONNECTION_TYPES

    return next(c for c in CONNECTION_TYPES if c["connection-type"] == "mlflow")
