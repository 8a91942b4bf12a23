"""StatsD hook: resolves where ML metrics go and keeps ONE client per target per process.

Target resolution (first match wins):

1. the StatsD connection (``statsd_default`` unless told otherwise): host (default ``localhost``),
   port (default 8125), extra ``prefix`` (default ``mlmonitor``), extra ``tags``
   (``none`` | ``dogstatsd`` | ``influxdb``, default ``none``);
2. Airflow's own ``[metrics]`` StatsD settings when ``statsd_on = True``: ``statsd_host``,
   ``statsd_port``, prefix ``mlmonitor`` (its own namespace, next to Airflow's), tags ``dogstatsd``
   when ``statsd_datadog_enabled``, ``influxdb`` when ``statsd_influxdb_enabled``;
3. otherwise metrics are disabled: every emit is a no-op.

The resolved target is cached per connection id for :data:`CACHE_SECONDS` and its UDP client is
shared by every hook, notifier and listener of the process (DNS is resolved once per client). The
clients are the libraries Airflow core uses: ``statsd.StatsClient`` (plain and InfluxDB tags) and
``datadog.DogStatsd`` (DogStatsD tags; extra ``airflow-mlmonitor[datadog]``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from typing import Any

from airflow.sdk import BaseHook

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.telemetry.client import MetricsClient, NullClient, make_client
from airflow_mlmonitor.telemetry.emitter import Telemetry
from airflow_mlmonitor.telemetry.names import DEFAULT_PREFIX, TAG_MODES, TagMode

log = logging.getLogger("airflow_mlmonitor.telemetry")

#: How long a resolved target (or "disabled") is reused before the connection is looked up again.
CACHE_SECONDS = 300.0
DEFAULT_PORT = 8125


@dataclasses.dataclass(frozen=True)
class StatsdTarget:
    """Where metrics go; ``source`` says which setting it came from (``connection`` / ``metrics``)."""

    host: str
    port: int
    prefix: str = DEFAULT_PREFIX
    tags: TagMode = "none"
    source: str = "connection"


_lock = threading.Lock()
#: conn id -> (pid, looked up at, Telemetry); clients by (host, port), shared across conn ids.
_telemetry: dict[str, tuple[int, float, Telemetry]] = {}
_clients: dict[tuple[int, str, int, bool], MetricsClient] = {}


def reset_statsd_clients() -> None:
    """Forget every cached target and close the clients (tests, or after changing connections)."""
    with _lock:
        clients = list(_clients.values())
        _telemetry.clear()
        _clients.clear()
    for client in clients:
        close = getattr(client, "close", None)
        if close is not None:
            close()


def _tag_mode(value: Any, where: str) -> TagMode:
    mode = str(value or "none").strip().lower()
    if mode not in TAG_MODES:
        raise InvalidInputError(f"{where}: tags must be one of {list(TAG_MODES)}, got {value!r}")
    return mode  # type: ignore[return-value]


def _port(value: Any, where: str) -> int:
    try:
        port = int(value or DEFAULT_PORT)
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise InvalidInputError(f"{where}: port must be an integer in 1..65535, got {value!r}")
    return port


class StatsdHook(BaseHook):
    """Turns the ``statsd`` connection (or Airflow's ``[metrics]`` settings) into a :class:`Telemetry`.

    :param statsd_conn_id: the StatsD connection; when it is not defined, Airflow's ``[metrics]``
        StatsD settings are used if ``statsd_on``, else metrics are disabled.
    """

    conn_name_attr = "statsd_conn_id"
    default_conn_name = "statsd_default"
    conn_type = "statsd"
    hook_name = "StatsD"

    def __init__(self, statsd_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.statsd_conn_id = statsd_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "login", "password"],
            "relabeling": {},
            "placeholders": {
                "host": "localhost",
                "port": str(DEFAULT_PORT),
                "extra": '{"prefix": "mlmonitor", "tags": "none | dogstatsd | influxdb"}',
            },
        }

    def resolve_target(self) -> StatsdTarget | None:
        """The target per the resolution order above, or None when metrics are disabled.

        :raises InvalidInputError: the connection or ``[metrics]`` settings are not usable.
        """
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            conn = self.get_connection(self.statsd_conn_id)
        except AirflowNotFoundException:
            return self._target_from_airflow_metrics()
        where = f"StatsD connection {self.statsd_conn_id!r}"
        extra = conn.extra_dejson or {}
        return StatsdTarget(
            host=conn.host or "localhost",
            port=_port(conn.port, where),
            prefix=str(extra.get("prefix", DEFAULT_PREFIX)),
            tags=_tag_mode(extra.get("tags"), where),
        )

    @staticmethod
    def _target_from_airflow_metrics() -> StatsdTarget | None:
        from airflow_mlmonitor.conf import _conf

        conf = _conf()
        if not conf.getboolean("metrics", "statsd_on", fallback=False):
            return None
        tags: TagMode = "none"
        if conf.getboolean("metrics", "statsd_datadog_enabled", fallback=False):
            tags = "dogstatsd"
        elif conf.getboolean("metrics", "statsd_influxdb_enabled", fallback=False):
            tags = "influxdb"
        return StatsdTarget(
            host=conf.get("metrics", "statsd_host", fallback="localhost") or "localhost",
            port=_port(conf.get("metrics", "statsd_port", fallback=DEFAULT_PORT), "[metrics] statsd_port"),
            tags=tags,
            source="metrics",
        )

    def get_conn(self) -> Telemetry:
        """The process-wide :class:`Telemetry` of this connection id (disabled when none resolves).

        Cheap after the first call in a process: the target is cached for :data:`CACHE_SECONDS`.
        """
        pid, now = os.getpid(), time.monotonic()
        cached = _telemetry.get(self.statsd_conn_id)
        if cached and cached[0] == pid and now - cached[1] < CACHE_SECONDS:
            return cached[2]
        target = self.resolve_target()
        telemetry = Telemetry() if target is None else self._telemetry_for(target, pid)
        with _lock:
            _telemetry[self.statsd_conn_id] = (pid, now, telemetry)
        return telemetry

    @staticmethod
    def _telemetry_for(target: StatsdTarget, pid: int) -> Telemetry:
        """One library client per (process, host, port, client kind); a host that did not resolve
        (a :class:`NullClient`) is tried again once per cache period, and warned about only once."""
        key = (pid, target.host, target.port, target.tags == "dogstatsd")
        with _lock:
            client = _clients.get(key)
        if client is None or isinstance(client, NullClient):
            client = make_client(target.host, target.port, target.tags)  # resolves the host once
            with _lock:
                current = _clients.get(key)
                if current is None or isinstance(current, NullClient):
                    _clients[key] = client
                else:
                    client = current
        return Telemetry(client=client, prefix=target.prefix, tags=target.tags)


def get_telemetry(statsd_conn_id: str = StatsdHook.default_conn_name) -> Telemetry:
    """:meth:`StatsdHook.get_conn` that never raises: an unusable target logs one warning and
    disables metrics for :data:`CACHE_SECONDS`."""
    hook = StatsdHook(statsd_conn_id=statsd_conn_id)
    try:
        return hook.get_conn()
    except Exception as err:
        log.warning("StatsD metrics disabled for %r: %s", statsd_conn_id, err)
        disabled = Telemetry(client=_null)
        with _lock:
            _telemetry[statsd_conn_id] = (os.getpid(), time.monotonic(), disabled)
        return disabled


_null: MetricsClient = NullClient()
