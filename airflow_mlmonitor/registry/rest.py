"""An ``MlflowClient`` whose registry and run calls go through MLflow's documented REST API
(``/api/2.0/mlflow/...``) with the connection's own credentials, timeout and retry policy.

Why: ``MlflowClient`` has no public way to take per-client credentials or HTTP timeouts (MLflow
reads ``MLFLOW_TRACKING_USERNAME``/``TOKEN`` and ``MLFLOW_HTTP_REQUEST_TIMEOUT``/``MAX_RETRIES``
from the process environment). :class:`RestClient` subclasses the public ``MlflowClient`` and
overrides the public methods the provider uses with plain ``requests`` calls, so two connections
with different credentials live in one worker and a refused or silent server fails within the
connection's timeout. Every other method (artifacts, traces...) is MLflow's own and uses MLflow's
own (environment) credentials. Only imported lazily by :func:`.client.build_client`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from mlflow import MlflowClient  # noqa: TID253 - lazy module
from mlflow.entities import Experiment, Run  # noqa: TID253
from mlflow.entities.model_registry import ModelVersion, RegisteredModel  # noqa: TID253
from mlflow.exceptions import RestException  # noqa: TID253
from mlflow.protos import model_registry_pb2, service_pb2  # noqa: TID253
from mlflow.store.entities import PagedList  # noqa: TID253
from mlflow.utils.proto_json_utils import parse_dict  # noqa: TID253

from airflow_mlmonitor.registry.retry import Backoff

log = logging.getLogger(__name__)
API = "/api/2.0/mlflow"
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
_STATUS_CODES = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "ENDPOINT_NOT_FOUND"}


class Transport:
    """``requests`` with the connection's auth, a per-request timeout and capped exponential backoff.

    Retried: refused connections and timeouts, HTTP 429/503 for every call, 500/502/504 and read
    timeouts only for calls that are safe to repeat (not the ``create`` calls). Permanent errors
    (4xx) raise MLflow's ``RestException`` at once with the server's error code.
    """

    def __init__(self, base_url: str, *, auth: tuple[str, str] | None, token: str | None, timeout: float,
                 backoff: Backoff, verify: bool = True, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth
        self.session.verify = verify
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep

    def call(self, method: str, endpoint: str, body: dict[str, Any] | None = None, *, repeatable: bool = True) -> Any:
        url = f"{self.base_url}{API}{endpoint}"
        params = {k: v for k, v in (body or {}).items() if v is not None}
        delays = self.backoff.delays()
        attempt = 1
        while True:
            try:
                if method == "GET":
                    response = self.session.request(method, url, params=params, timeout=self.timeout)
                else:
                    response = self.session.request(method, url, json=params, timeout=self.timeout)
            except requests.RequestException as err:
                sent = not isinstance(err, requests.ConnectionError)  # a read timeout: the server may have acted
                fault = f"{type(err).__name__}: {str(err)[:300]}"
                if sent and not repeatable:
                    raise self._unavailable(url, attempt, fault) from err
            else:
                if response.status_code < 400:
                    return response.json() if response.content else {}
                if response.status_code not in _TRANSIENT_STATUS or (
                        not repeatable and response.status_code not in {429, 503}):
                    raise self._rest_error(response)
                fault = f"HTTP {response.status_code}"
            delay = next(delays, None)
            if delay is None:
                raise self._unavailable(url, attempt, fault)
            log.warning("MLflow %s %s: %s (try %d); retrying in %.1fs", method, endpoint, fault, attempt, delay)
            self.sleep(delay)
            attempt += 1

    @staticmethod
    def _unavailable(url: str, attempts: int, fault: str) -> RestException:
        """Transient fault, retries spent: ``TEMPORARILY_UNAVAILABLE`` (the registry domain turns it
        into :class:`~airflow_mlmonitor.registry.errors.RegistryUnavailableError` naming what it read)."""
        message = f"API request to {url} failed after {attempts} tries ({fault})"
        return RestException({"error_code": "TEMPORARILY_UNAVAILABLE", "message": message})

    @staticmethod
    def _rest_error(response: Any) -> RestException:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "error_code" not in body:
            body = {"error_code": _STATUS_CODES.get(response.status_code, "BAD_REQUEST"),
                    "message": f"HTTP {response.status_code}: {response.text[:300]}"}
        return RestException(body)


def _parse(proto: Any, data: dict[str, Any]) -> Any:
    parse_dict(js_dict=data, message=proto)
    return proto


def _tags(tags: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"key": str(k), "value": str(v)} for k, v in (tags or {}).items()]


def _model(data: dict[str, Any]) -> RegisteredModel:
    return RegisteredModel.from_proto(_parse(model_registry_pb2.RegisteredModel(), data))


def _version(data: dict[str, Any]) -> ModelVersion:
    return ModelVersion.from_proto(_parse(model_registry_pb2.ModelVersion(), data))


def _now_ms() -> int:
    return int(time.time() * 1000)


class RestClient(MlflowClient):  # type: ignore[misc]
    """``MlflowClient`` for an http(s) server whose registry, run and experiment calls carry the
    connection's credentials and follow its timeout/retry policy (see the module docstring)."""

    def __init__(self, tracking_uri: str, registry_uri: str, transport: Transport,
                 registry_transport: Transport | None = None) -> None:
        super().__init__(tracking_uri=tracking_uri, registry_uri=registry_uri)
        self.transport = transport
        self.registry_transport = registry_transport or transport

    def _reg(self, method: str, endpoint: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.registry_transport.call(method, endpoint, body, **kw)

    # -- registered models ---------------------------------------------------------------------
    def get_registered_model(self, name: str) -> RegisteredModel:
        return _model(self._reg("GET", "/registered-models/get", {"name": name})["registered_model"])

    def create_registered_model(self, name: str, tags: dict[str, Any] | None = None,
                                description: str | None = None, deployment_job_id: str | None = None) -> RegisteredModel:
        body = {"name": name, "tags": _tags(tags), "description": description}
        return _model(self._reg("POST", "/registered-models/create", body, repeatable=False)["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._reg("DELETE", "/registered-models/delete", {"name": name})

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None, page_token: str | None = None) -> PagedList:
        data = self._reg("GET", "/registered-models/search", {
            "filter": filter_string, "max_results": max_results, "order_by": order_by, "page_token": page_token})
        return PagedList([_model(m) for m in data.get("registered_models", [])], data.get("next_page_token"))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._reg("POST", "/registered-models/set-tag", {"name": name, "key": key, "value": str(value)})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._reg("DELETE", "/registered-models/delete-tag", {"name": name, "key": key})

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        self._reg("POST", "/registered-models/alias", {"name": name, "alias": alias, "version": str(version)})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._reg("DELETE", "/registered-models/alias", {"name": name, "alias": alias})

    # -- model versions ------------------------------------------------------------------------
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return _version(self._reg("GET", "/registered-models/alias", {"name": name, "alias": alias})["model_version"])

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        data = self._reg("GET", "/model-versions/get", {"name": name, "version": str(version)})
        return _version(data["model_version"])

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None, page_token: str | None = None) -> PagedList:
        data = self._reg("GET", "/model-versions/search", {
            "filter": filter_string, "max_results": max_results, "order_by": order_by, "page_token": page_token})
        return PagedList([_version(v) for v in data.get("model_versions", [])], data.get("next_page_token"))

    def set_model_version_tag(self, name: str, version: str | None = None, key: str | None = None,
                              value: Any = None, stage: str | None = None) -> None:
        self._reg("POST", "/model-versions/set-tag",
                  {"name": name, "version": str(version), "key": key, "value": str(value)})

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None, await_creation_for: int = 300,
                             model_id: str | None = None) -> ModelVersion:
        body = {"name": name, "source": source, "run_id": run_id, "tags": _tags(tags), "run_link": run_link,
                "description": description, "model_id": model_id}
        return _version(self._reg("POST", "/model-versions/create", body, repeatable=False)["model_version"])

    # -- runs and experiments ------------------------------------------------------------------
    def get_run(self, run_id: str) -> Run:
        data = self.transport.call("GET", "/runs/get", {"run_id": run_id})["run"]
        return Run.from_proto(_parse(service_pb2.Run(), data))

    def create_run(self, experiment_id: str, start_time: int | None = None, tags: dict[str, Any] | None = None,
                   run_name: str | None = None) -> Run:
        body = {"experiment_id": str(experiment_id), "start_time": start_time or _now_ms(), "tags": _tags(tags),
                "run_name": run_name}
        data = self.transport.call("POST", "/runs/create", body, repeatable=False)["run"]
        return Run.from_proto(_parse(service_pb2.Run(), data))

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int | None = None,
                   synchronous: bool | None = None, dataset_name: str | None = None,
                   dataset_digest: str | None = None, model_id: str | None = None) -> None:
        self.transport.call("POST", "/runs/log-metric", {
            "run_id": run_id, "key": key, "value": float(value), "timestamp": timestamp or _now_ms(),
            "step": step or 0})

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self.transport.call("POST", "/runs/log-parameter", {"run_id": run_id, "key": key, "value": str(value)})
        return value

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        self.transport.call("POST", "/runs/update",
                            {"run_id": run_id, "status": status or "FINISHED", "end_time": end_time or _now_ms()})

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            data = self.transport.call("GET", "/experiments/get-by-name", {"experiment_name": name})
        except RestException as err:
            if err.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        return Experiment.from_proto(_parse(service_pb2.Experiment(), data["experiment"]))

    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict[str, Any] | None = None) -> str:
        body = {"name": name, "artifact_location": artifact_location, "tags": _tags(tags)}
        return str(self.transport.call("POST", "/experiments/create", body, repeatable=False)["experiment_id"])
