"""StatsD clients: the libraries Airflow core uses, behind one small never-raising seam. Airflow-free.

- plain and InfluxDB-tag mode: the ``statsd`` package's :class:`statsd.StatsClient` (InfluxDB tags
  ride in the stat name, ``name,dag_id=d,task_id=t``), one pipeline (datagram) per batch;
- DogStatsD tags: the ``datadog`` package's :class:`datadog.dogstatsd.DogStatsd`, as Airflow core's
  ``statsd_datadog_enabled`` does (optional extra: ``pip install airflow-mlmonitor[datadog]``).

:func:`make_client` resolves the host once: a name that does not resolve gives one warning and a
:class:`NullClient` (the caller caches it), never a warning per metric. Both libraries swallow
socket errors on send (a closed port, a full buffer); :meth:`send` never raises.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from typing import Any, Protocol

from airflow_mlmonitor.telemetry.names import Stat, TagMode

log = logging.getLogger("airflow_mlmonitor.telemetry")

#: Payload budget of one datagram: fits an Ethernet MTU, so nothing is fragmented.
MAX_PACKET_BYTES = 1400
DATADOG_EXTRA = "pip install airflow-mlmonitor[datadog]"


class MetricsClient(Protocol):
    """Where stats go. ``send`` never raises and never blocks."""

    def send(self, stats: Sequence[Stat]) -> None: ...


class NullClient:
    """The disabled target: drops everything."""

    def send(self, stats: Sequence[Stat]) -> None:
        return None

    def __repr__(self) -> str:
        return "NullClient()"


class StatsdClient:
    """Plain / InfluxDB-tag StatsD through ``statsd.StatsClient`` (resolves ``host`` on creation)."""

    def __init__(self, host: str, port: int) -> None:
        import statsd

        self.host, self.port = host, int(port)
        self._client = statsd.StatsClient(host, self.port, maxudpsize=MAX_PACKET_BYTES)

    def __repr__(self) -> str:
        return f"StatsdClient({self.host!r}, {self.port})"

    def send(self, stats: Sequence[Stat]) -> None:
        # statsd's Pipeline batches into datagrams of at most maxudpsize and sends on exit; its
        # gauge() sends a negative value as "0|g" then the value (a bare "-x" would be a delta).
        with self._client.pipeline() as pipe:
            for stat in stats:
                if stat.type == "c":
                    pipe.incr(stat.name, stat.value)
                elif stat.type == "g":
                    pipe.gauge(stat.name, stat.value)
                else:
                    pipe.timing(stat.name, stat.value)

    def close(self) -> None:
        self._client.close()


class DogStatsdClient:
    """DogStatsD tags through ``datadog.dogstatsd.DogStatsd`` (Airflow core's Datadog client)."""

    def __init__(self, host: str, port: int) -> None:
        try:
            from datadog.dogstatsd import DogStatsd
        except ImportError as err:
            raise ImportError(
                f"StatsD tags 'dogstatsd' need the datadog package: {DATADOG_EXTRA}"
            ) from err
        self.host, self.port = host, int(port)
        # No client self-telemetry: only our series reach the agent.
        self._client: Any = DogStatsd(host=host, port=self.port, disable_telemetry=True)

    def __repr__(self) -> str:
        return f"DogStatsdClient({self.host!r}, {self.port})"

    def send(self, stats: Sequence[Stat]) -> None:
        for stat in stats:
            tags = list(stat.tags)
            if stat.type == "c":
                self._client.increment(stat.name, stat.value, tags=tags)
            elif stat.type == "g":
                if stat.value < 0:  # an Etsy-statsd relay would read "-x" as a delta: reset first
                    self._client.gauge(stat.name, 0, tags=tags)
                self._client.gauge(stat.name, stat.value, tags=tags)
            else:
                self._client.timing(stat.name, stat.value, tags=tags)

    def close(self) -> None:
        self._client.close_socket()


def _resolves(host: str, port: int) -> OSError | None:
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as err:
        return err if isinstance(err, OSError) else OSError(str(err))
    return None


_warned: set[tuple[str, int]] = set()


def make_client(host: str, port: int, tags: TagMode) -> StatsdClient | DogStatsdClient | NullClient:
    """The library client for ``tags``; a host that does not resolve logs ONE warning and gives a
    :class:`NullClient`.

    :raises ImportError: ``tags="dogstatsd"`` without the ``datadog`` package (message names the extra).
    """
    cls = DogStatsdClient if tags == "dogstatsd" else StatsdClient
    error = _resolves(host, port)
    if error is None:
        try:
            return cls(host, port)
        except OSError as err:  # resolved a moment ago, gone now
            error = err
    if (host, port) in _warned:  # retried later by the caller's cache, but said only once
        return NullClient()
    _warned.add((host, port))
    log.warning(
        "StatsD host %s:%s cannot be used (%s); metrics to it are disabled in this process. "
        "Fix the host of the StatsD connection or [metrics] statsd_host.",
        host, port, error,
    )
    return NullClient()
