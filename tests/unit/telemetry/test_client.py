"""The UDP client against a plain UDP socket: delivery, batching, and the faults (no daemon needed)."""

from __future__ import annotations

import logging
import socket

from airflow_mlmonitor.telemetry.client import UdpClient, packets


def test_lines_arrive_in_one_datagram(receiver):
    client = UdpClient("127.0.0.1", receiver.getsockname()[1])
    client.send(["a.b:1|c", "a.c:2|g"])
    assert receiver.recv(65536) == b"a.b:1|c\na.c:2|g"
    client.close()


def test_localhost_name_resolves_and_sends(receiver):
    client = UdpClient("localhost", receiver.getsockname()[1], resolve_wait=5)
    assert client.state == "ready"
    client.send(["x:1|c"])
    assert receiver.recv(100) == b"x:1|c"


def test_lines_sent_while_resolving_are_flushed_once_resolved(receiver, monkeypatch):
    import threading

    import airflow_mlmonitor.telemetry.client as client_module

    gate = threading.Event()
    real = socket.getaddrinfo

    def slow_getaddrinfo(*args, **kwargs):
        gate.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(client_module.socket, "getaddrinfo", slow_getaddrinfo)
    client = UdpClient("127.0.0.1", receiver.getsockname()[1], resolve_wait=0)
    assert client.state == "resolving"
    client.send(["early:1|c"])  # returns at once, kept for later
    gate.set()
    assert receiver.recv(100) == b"early:1|c"


def test_packets_respect_the_size_budget():
    lines = [f"metric.{i}:{i}|c" for i in range(300)]
    out = packets(lines, max_bytes=200)
    assert all(len(p) <= 200 for p in out)
    assert b"\n".join(out).decode().split("\n") == lines


def test_unresolvable_host_warns_once_and_never_raises(caplog, monkeypatch):
    import airflow_mlmonitor.telemetry.client as client_module

    def no_dns(*args, **kwargs):  # the resolver's answer for a name that does not exist
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(client_module.socket, "getaddrinfo", no_dns)
    caplog.set_level(logging.WARNING, logger="airflow_mlmonitor.telemetry")
    client = UdpClient("no-such-statsd-host.invalid", 8125, resolve_wait=10)
    assert client.state == "failed"
    for _ in range(50):
        client.send(["a:1|c"])
    warnings = [r for r in caplog.records if "no-such-statsd-host.invalid" in r.getMessage()]
    assert len(warnings) == 1
    assert "disabled" in warnings[0].getMessage()


def test_closed_port_warns_once_and_never_raises(caplog):
    caplog.set_level(logging.WARNING, logger="airflow_mlmonitor.telemetry")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more
    client = UdpClient("127.0.0.1", port)
    for _ in range(20):
        client.send(["a:1|c"])
    warnings = [r for r in caplog.records if "not accepting metrics" in r.getMessage()]
    assert len(warnings) == 1
    assert str(port) in warnings[0].getMessage()
