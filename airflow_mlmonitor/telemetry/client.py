"""The UDP StatsD client: resolved once, never blocking, never raising. Airflow-free.

A client resolves its host once, in a background thread, waiting at most
:data:`RESOLVE_WAIT_SECONDS` for it (an IP literal or ``/etc/hosts`` name resolves well within it).
Lines sent while the name is still resolving are kept (bounded) and flushed as soon as it resolves;
a name that does not resolve disables the client with one warning, and is not retried per metric.
The socket is connected and non-blocking: a full buffer or a closed port (ICMP refused) drops the
packet and logs one warning per client, then stays quiet.
"""

from __future__ import annotations

import collections
import logging
import socket
import threading
from collections.abc import Sequence
from typing import Protocol

log = logging.getLogger("airflow_mlmonitor.telemetry")

#: Longest a caller waits for the name of a new client to resolve (seconds).
RESOLVE_WAIT_SECONDS = 0.01
#: Payload budget of one datagram: fits an Ethernet MTU, so nothing is fragmented.
MAX_PACKET_BYTES = 1400
_MAX_PENDING = 512


class MetricsClient(Protocol):
    """Where StatsD lines go. ``send`` never raises and never blocks."""

    def send(self, lines: Sequence[str]) -> None: ...


class NullClient:
    """The disabled target: drops everything."""

    def send(self, lines: Sequence[str]) -> None:
        return None

    def __repr__(self) -> str:
        return "NullClient()"


def packets(lines: Sequence[str], max_bytes: int = MAX_PACKET_BYTES) -> list[bytes]:
    """Join lines with ``\\n`` into as few datagrams as fit ``max_bytes`` (a longer line goes alone)."""
    out: list[bytes] = []
    current = b""
    for line in lines:
        data = line.encode("ascii", "replace")
        if current and len(current) + 1 + len(data) > max_bytes:
            out.append(current)
            current = data
        else:
            current = current + b"\n" + data if current else data
    if current:
        out.append(current)
    return out


class UdpClient:
    """Sends StatsD lines over UDP to ``host:port``; safe to share between threads."""

    def __init__(self, host: str, port: int, *, resolve_wait: float = RESOLVE_WAIT_SECONDS) -> None:
        self.host, self.port = host, int(port)
        self._lock = threading.Lock()
        self._pending: collections.deque[bytes] = collections.deque(maxlen=_MAX_PENDING)
        self._sock: socket.socket | None = None
        self._state = "resolving"  # -> "ready" | "failed"
        self._warned = False
        resolver = threading.Thread(target=self._resolve, name="mlmonitor-statsd-resolve", daemon=True)
        resolver.start()
        resolver.join(resolve_wait)

    def __repr__(self) -> str:
        return f"UdpClient({self.host!r}, {self.port}, state={self._state!r})"

    @property
    def state(self) -> str:
        return self._state

    def send(self, lines: Sequence[str]) -> None:
        sock = self._sock
        if sock is None:
            self._queue(lines)
            return
        for data in packets(lines):
            self._send(sock, data)

    def close(self) -> None:
        with self._lock:
            sock, self._sock, self._state = self._sock, None, "failed"
        if sock is not None:
            sock.close()

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.send(data)
        except OSError as err:  # refused (nothing listens), buffer full, network down
            self._warn_once("StatsD target %s:%s is not accepting metrics (%s); dropping them.", err)

    def _queue(self, lines: Sequence[str]) -> None:
        with self._lock:
            if self._state == "resolving":
                self._pending.extend(packets(lines))
                return
            sock = self._sock
        if sock is not None:  # resolved between the check and the lock
            for data in packets(lines):
                self._send(sock, data)

    def _resolve(self) -> None:
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
            family, _, _, _, addr = next((i for i in infos if i[0] == socket.AF_INET), infos[0])
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.connect(addr)
        except (OSError, IndexError, UnicodeError) as err:
            with self._lock:
                self._state = "failed"
                self._pending.clear()
            self._warn_once(
                "StatsD host %s:%s cannot be used (%s); metrics to it are disabled in this process. "
                "Fix the host of the StatsD connection or [metrics] statsd_host.",
                err,
            )
            return
        with self._lock:
            self._sock, self._state = sock, "ready"
            pending = list(self._pending)
            self._pending.clear()
        for data in pending:
            self._send(sock, data)

    def _warn_once(self, message: str, err: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning(message, self.host, self.port, err)
