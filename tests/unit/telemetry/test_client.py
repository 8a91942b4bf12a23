"""The library-backed StatsD clients against a plain UDP socket: what reaches the wire in each tag
mode, batching, and the faults (no daemon needed)."""

from __future__ import annotations

import builtins
import logging
import socket

import pytest

import airflow_mlmonitor.telemetry.client as client_module
from airflow_mlmonitor.telemetry.client import DogStatsdClient, NullClient, StatsdClient, make_client
from airflow_mlmonitor.telemetry.names import METRICS, to_stat

IDS = {"dag_id": "train", "task_id": "grp.t", "model": "churn", "metric": "f1"}


def stat(metric, value, tags="none"):
    return to_stat(METRICS[metric], IDS, value, prefix="mlmonitor", tags=tags)


def recv_lines(sock: socket.socket) -> list[str]:
    return sock.recv(65536).decode().split("\n")


def test_plain_mode_goes_through_statsd_stats_client_in_one_datagram(receiver):
    client = make_client("127.0.0.1", receiver.getsockname()[1], "none")
    assert isinstance(client, StatsdClient)
    client.send([stat("task.success", 1), stat("task.duration", 1234.5), stat("drift.share", 0.25)])
    assert recv_lines(receiver) == [
        "mlmonitor.task.success.train.grp_t:1|c",
        "mlmonitor.task.duration.train.grp_t:1234.500000|ms",
        "mlmonitor.drift.share.train.grp_t:0.25|g",
    ]


def test_influxdb_tags_ride_in_the_stat_name(receiver):
    client = make_client("127.0.0.1", receiver.getsockname()[1], "influxdb")
    assert isinstance(client, StatsdClient)
    client.send([stat("model.metric_delta", 0.5, "influxdb")])
    assert recv_lines(receiver) == ["mlmonitor.model.metric_delta,model=churn,metric=f1:0.5|g"]


def test_negative_gauge_is_reset_then_set_in_every_mode(receiver):
    port = receiver.getsockname()[1]
    make_client("127.0.0.1", port, "none").send([stat("model.metric_delta", -0.5)])
    assert recv_lines(receiver) == ["mlmonitor.model.metric_delta.churn.f1:0|g",
                                    "mlmonitor.model.metric_delta.churn.f1:-0.5|g"]
    make_client("127.0.0.1", port, "dogstatsd").send([stat("model.metric_delta", -0.5, "dogstatsd")])
    got = [receiver.recv(1000).decode().strip() for _ in range(2)]  # DogStatsd ends lines with \n
    assert got == ["mlmonitor.model.metric_delta:0|g|#model:churn,metric:f1",
                   "mlmonitor.model.metric_delta:-0.5|g|#model:churn,metric:f1"]


def test_dogstatsd_tags_go_through_datadog_dogstatsd(receiver):
    client = make_client("127.0.0.1", receiver.getsockname()[1], "dogstatsd")
    assert isinstance(client, DogStatsdClient)
    assert type(client._client).__module__.startswith("datadog.")
    client.send([stat("task.failure", 1, "dogstatsd")])
    assert receiver.recv(1000).decode().strip() == "mlmonitor.task.failure:1|c|#dag_id:train,task_id:grp_t"


def test_many_stats_are_split_into_datagrams_within_the_budget(receiver):
    client = make_client("127.0.0.1", receiver.getsockname()[1], "none")
    stats = [to_stat(METRICS["drift.share"], {"dag_id": f"dag_{i}", "task_id": "t"}, i, prefix="mlmonitor",
                     tags="none") for i in range(200)]
    client.send(stats)
    received: list[str] = []
    while len(received) < 200:
        data = receiver.recv(65536)
        assert len(data) <= client_module.MAX_PACKET_BYTES
        received += data.decode().split("\n")
    assert received == [f"mlmonitor.drift.share.dag_{i}.t:{i}|g" for i in range(200)]


def test_unresolvable_host_warns_once_and_never_raises(caplog, monkeypatch):
    def no_dns(*args, **kwargs):  # the resolver's answer for a name that does not exist
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(client_module.socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(client_module, "_warned", set())
    caplog.set_level(logging.WARNING, logger="airflow_mlmonitor.telemetry")
    clients = [make_client("no-such-statsd-host.invalid", 8125, mode) for mode in ("none", "none", "dogstatsd")]
    assert all(isinstance(c, NullClient) for c in clients)
    for client in clients:
        for _ in range(20):
            client.send([stat("task.success", 1)])
    warnings = [r for r in caplog.records if "no-such-statsd-host.invalid" in r.getMessage()]
    assert len(warnings) == 1
    assert "disabled" in warnings[0].getMessage()


def test_closed_port_never_raises():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more
    for mode in ("none", "dogstatsd"):
        client = make_client("127.0.0.1", port, mode)
        for _ in range(20):
            client.send([stat("task.success", 1, mode)])


def test_dogstatsd_without_datadog_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_datadog(name, *args, **kwargs):
        if name.startswith("datadog"):
            raise ImportError("No module named 'datadog'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_datadog)
    with pytest.raises(ImportError, match=r"pip install airflow-mlmonitor\[datadog\]"):
        make_client("127.0.0.1", 8125, "dogstatsd")
