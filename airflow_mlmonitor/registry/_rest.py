"""MLflow REST stores with per-client credentials, timeout and retries (no ``os.environ``).

MLflow's own ``RestStore`` reads credentials (``MLFLOW_TRACKING_USERNAME``/``TOKEN``...) and the
HTTP timeout/retries (``MLFLOW_HTTP_REQUEST_TIMEOUT``/``MAX_RETRIES``, default 120 s and 7 retries
with backoff) from the process environment. These subclasses take both from
:class:`~airflow_mlmonitor.registry.client.MLflowSettings` instead, so two connections with
different credentials can live in one worker and a refused or silent server fails within the
timeout. Only imported lazily by :func:`airflow_mlmonitor.registry.client.build_client`.
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.protos.databricks_pb2 import ENDPOINT_NOT_FOUND, ErrorCode  # noqa: TID253 - lazy module
from mlflow.store.model_registry.rest_store import RestStore as _RegistryRestStore  # noqa: TID253
from mlflow.store.tracking.rest_store import RestStore as _TrackingRestStore  # noqa: TID253
from mlflow.utils.proto_json_utils import parse_dict  # noqa: TID253
from mlflow.utils.rest_utils import RestException, http_request, verify_rest_response  # noqa: TID253


class Transport:
    def __init__(self, timeout: float, max_retries: int) -> None:
        self.timeout = timeout
        self.max_retries = max_retries

    def call(self, host_creds: Any, endpoint: str, method: str, json_body: Any, response_proto: Any,
             extra_headers: dict[str, str] | None = None) -> Any:
        body = json.loads(json_body) if json_body is not None else None
        kwargs = {"params": body} if method == "GET" else {"json": body}
        response = http_request(
            host_creds, endpoint, method, max_retries=self.max_retries, backoff_factor=0.5,
            timeout=self.timeout, extra_headers=extra_headers, **kwargs,
        )
        response = verify_rest_response(response, endpoint)
        if response.status_code == 204:
            return response_proto
        parse_dict(js_dict=json.loads(response.text), message=response_proto)
        return response_proto


class TrackingRestStore(_TrackingRestStore):
    def __init__(self, get_host_creds: Any, transport: Transport) -> None:
        super().__init__(get_host_creds)
        self._transport = transport

    def _call_endpoint(self, api: Any, json_body: Any = None, endpoint: Any = None,
                       retry_timeout_seconds: Any = None, response_proto: Any = None) -> Any:
        method_to_info = self._V3_METHOD_TO_INFO if api in self._V3_APIS else self._METHOD_TO_INFO
        if endpoint:
            _, method = method_to_info[api]
        else:
            endpoint, method = method_to_info[api]
        return self._transport.call(self.get_host_creds(), endpoint, method, json_body,
                                    response_proto or api.Response())


class RegistryRestStore(_RegistryRestStore):
    def __init__(self, get_host_creds: Any, transport: Transport) -> None:
        super().__init__(get_host_creds)
        self._transport = transport

    def _call_endpoint(self, api: Any, json_body: Any, call_all_endpoints: bool = False,
                       extra_headers: Any = None) -> Any:
        response_proto = self._get_response_from_method(api)
        if not call_all_endpoints:
            endpoint, method = self._get_endpoint_from_method(api)
            return self._transport.call(self.get_host_creds(), endpoint, method, json_body, response_proto,
                                        extra_headers)
        endpoints = self._get_all_endpoints_from_method(api)
        for i, (endpoint, method) in enumerate(endpoints):
            try:
                return self._transport.call(self.get_host_creds(), endpoint, method, json_body,
                                            response_proto, extra_headers)
            except RestException as err:
                if err.error_code != ErrorCode.Name(ENDPOINT_NOT_FOUND) or i == len(endpoints) - 1:
                    raise
        return None


def make_rest_stores(get_host_creds: Any, registry_creds: Any, *, timeout: float,
                     max_retries: int) -> tuple[TrackingRestStore, RegistryRestStore]:
    transport = Transport(timeout, max_retries)
    return TrackingRestStore(get_host_creds, transport), RegistryRestStore(registry_creds, transport)
