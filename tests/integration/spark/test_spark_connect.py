"""``SparkSource`` on a Spark Connect server: a connection whose host is ``sc://...`` gives the file
engine's verdicts and scores through pyspark's Connect client.

The server is Spark's own ``SparkConnectServer`` from the pyspark wheel's jars, started with
``spark-submit`` on a free loopback port and stopped by PID. The client runs in a subprocess: a
classic session already active in the test process would otherwise be reused.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.servers import free_port

CLIENT = """
import json, sys
from airflow_mlmonitor.drift.columns import plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.options import drift_options
from airflow_mlmonitor.sources import SparkSource

reference = SparkSource(path=sys.argv[1], name="reference")
current = SparkSource(path=sys.argv[2], name="current")
try:
    ref, cur = reference.columnar(), current.columnar()
    plan = plan_columns(ref, cur)
    verdicts = compute_column_drift(ref, cur, drift_options(), plan.column_types)
    print("RESULT " + json.dumps([[d.name, d.method, d.score, d.drifted] for d in verdicts]))
finally:
    reference.close()
    current.close()
"""


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from airflow_mlmonitor.sources.spark_session import java_available

    if not java_available():
        message = "no Java runtime: .ci/system-deps.sh installs openjdk-17-jre-headless"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    import pyspark

    home = pathlib.Path(pyspark.__file__).parent  # the wheel is a Spark distribution: bin/, jars/
    jar = next((home / "jars").glob("spark-connect_*.jar"))
    port = free_port()
    log = tmp_path_factory.mktemp("spark-connect") / "server.log"
    cmd = [
        str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master", "local[2]", "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", "spark.ui.enabled=false", str(jar),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, "SPARK_HOME": str(home)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the Spark Connect server exited:\n{log.read_text()[-4000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Spark Connect server did not listen within 180 s:\n{log.read_text()[-4000:]}")
                time.sleep(1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_drift_through_spark_connect_matches_the_file_engine(connect_url: str, tmp_path: pathlib.Path):
    from airflow_mlmonitor.drift.columns import plan_columns
    from airflow_mlmonitor.drift.engine import compute_column_drift
    from airflow_mlmonitor.drift.options import drift_options
    from airflow_mlmonitor.drift.parquet import ParquetColumns

    rng = np.random.default_rng(11)
    n = 4000
    frames = [
        pd.DataFrame({
            "x": rng.normal(shift, 1, n),
            "skew": rng.lognormal(0, 1 + shift, n),
            "ties": rng.integers(0, 40, n).astype("float64"),
            "city": rng.choice(["oslo", "rome", "lima" if shift else "paris"], n),
        })
        for shift in (0.0, 0.3)
    ]
    frames[1].loc[::9, "x"] = np.nan
    paths = [tmp_path / "reference.parquet", tmp_path / "current.parquet"]
    for frame, path in zip(frames, paths, strict=True):
        frame.to_parquet(path)
    env = {**os.environ, "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": connect_url})}
    proc = subprocess.run([sys.executable, "-c", CLIENT, *map(str, paths)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"Spark session started on {connect_url}" in proc.stderr + proc.stdout
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    remote = json.loads(line.removeprefix("RESULT "))

    ref, cur = (ParquetColumns(str(p), name=side) for p, side in zip(paths, ("reference", "current"), strict=True))
    plan = plan_columns(ref, cur)
    local = compute_column_drift(ref, cur, drift_options(), plan.column_types)
    assert [(name, method, drifted) for name, method, _score, drifted in remote] == [
        (d.name, d.method, d.drifted) for d in local
    ]
    for (_name, _method, score, _drifted), verdict in zip(remote, local, strict=True):
        assert score == pytest.approx(verdict.score, rel=1e-9)
    assert {name for name, *_ in remote} == {"x", "skew", "ties", "city"}
