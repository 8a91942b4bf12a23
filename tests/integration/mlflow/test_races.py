"""Two Airflow installations (separate AIRFLOW_HOME and SQLite metadata DB, one subprocess each)
race on one real ``mlflow server``: both DAG tasks wait on a barrier right before the move, then
move the same model. Repeated per scenario: promotion vs promotion, rollback vs rollback, rollback
vs promotion. Only serial outcomes are allowed: every task that reported success is reflected in
the final aliases, the history tells the true order, and the loser fails or skips with a clear
message. Plus: the lease holder is SIGKILLed mid-move and the next mover recovers after expiry.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from airflow_mlmonitor.registry.actions import Audit, promote, read_history
from airflow_mlmonitor.registry.lease import is_lease_name
from tests.fixtures.mlflow import register_versions, unique_name

#: Subprocess start-up and the MLflow server dominate: about 2 min on a quiet 2-core machine, many
#: more on a loaded one (the suite-wide 900 s timeout also counts the server fixture's start).
pytestmark = pytest.mark.timeout(2400)
WORKER = pathlib.Path(__file__).with_name("race_worker.py")
REPEATS = 2
HEADER = '''
import json, pathlib, time
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.mlflow import MLflowPromoteModelOperator, MLflowRollbackOperator

def raced(base):
    class Raced(base):
        def __init__(self, *, barrier, me, out, **kw):
            super().__init__(**kw)
            self.barrier, self.me, self.out = pathlib.Path(barrier), me, pathlib.Path(out)

        def execute(self, context):
            (self.barrier / self.me).touch()
            deadline = time.time() + 300
            while len(list(self.barrier.iterdir())) < 2 and time.time() < deadline:
                time.sleep(0.005)
            try:
                value = super().execute(context)
            except BaseException as err:
                self.out.write_text(json.dumps({"outcome": type(err).__name__, "message": str(err)}))
                raise
            self.out.write_text(json.dumps({"outcome": "success", "value": value}))
            return value
    return Raced

Promote, Rollback = raced(MLflowPromoteModelOperator), raced(MLflowRollbackOperator)
KW = dict(mlflow_conn_id="mlflow_race", retries=0)
'''
DAG = '''
with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as {dag_id}:
    {op}(task_id="move", model_name={model!r}, barrier={barrier!r}, me={me!r}, out={out!r}, {args}**KW)
'''


def installation(root: pathlib.Path, name: str, migrated_db: pathlib.Path, mlflow_url: str, **conf: str) -> dict[str, str]:
    """An Airflow installation of its own: home, dags folder, a copy of a migrated metadata DB."""
    home = root / name
    (home / "dags").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_db, home / "airflow.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__MLMONITOR__REPORT_BASE_PATH": str(home / "reports"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW_CONN_MLFLOW_RACE": json.dumps({"conn_type": "mlflow", "host": mlflow_url,
                                                "extra": {"timeout": 20, "max_retries": 3}}),
        "PYTHONPATH": os.pathsep.join([str(pathlib.Path(__file__).parents[3]), env.get("PYTHONPATH", "")]),
    })
    env.update({f"AIRFLOW__MLMONITOR__{k.upper()}": v for k, v in conf.items()})
    return env


def start(env: dict[str, str], dag_file: str, dag_ids: list[str], log: pathlib.Path) -> subprocess.Popen[bytes]:
    path = pathlib.Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) / "race_dags.py"
    path.write_text(dag_file)
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, str(WORKER), str(path), *dag_ids], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def finish(proc: subprocess.Popen[bytes], log: pathlib.Path, timeout: float = 600) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"race worker hung:\n{log.read_text()[-4000:]}")
    assert proc.returncode == 0, log.read_text()[-4000:]


def aliases(client, name):
    return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}


def effect(kind: str, value: dict) -> tuple[str, str]:
    """(holder the move was decided on, holder it left) of a successful move."""
    if kind == "promote":
        return value["previous_version"], value["version"]
    return value["from_version"], value["to_version"]


def assert_serial(client, name: str, start_holder: str, moves: list[tuple[str, dict]]) -> None:
    """Some order of the successful moves leads from ``start_holder`` to the final @champion, each
    one decided on the holder the previous one left; losers said why and changed nothing."""
    final = aliases(client, name)
    assert final.get("previous_champion") != final["champion"], final
    wins = [(kind, o["value"]) for kind, o in moves if o["outcome"] == "success"]
    for _, o in moves:
        if o["outcome"] != "success":
            assert o["outcome"] in {"AirflowFailException", "AirflowSkipException"}, o
            assert "lost" in o["message"] and "changed nothing" in o["message"], o
    assert wins, moves
    serial = []
    for order in itertools.permutations(wins):
        holder = start_holder
        for kind, value in order:
            decided, left = effect(kind, value)
            if decided != holder:
                break
            holder = left
        else:
            serial.append(holder)
    assert final["champion"] in serial, (final, moves)
    history = read_history(client, name, "champion")
    assert history[-1] == final["champion"] or final["champion"] in history, history
    assert [m.name for m in client.search_registered_models(max_results=1000)
            if is_lease_name(m.name) and name in m.name] == []  # every lease released


@pytest.fixture(scope="module")
def homes(airflow_db, mlflow_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("installations")
    db = pathlib.Path(airflow_db) / "airflow.db"
    return root, db, mlflow_server


def test_two_installations_race_only_to_serial_outcomes(homes, server_client, tmp_path):
    root, db, url = homes
    client = server_client
    envs = [installation(root, name, db, url) for name in ("a", "b")]
    rounds = []  # (dag_id suffix, model, start holder, kind per installation)
    sources = [HEADER, HEADER]
    for scenario, rep in itertools.product(("promote_promote", "rollback_rollback", "rollback_promote"),
                                           range(REPEATS)):
        name = unique_name(scenario.replace("_", "-"))
        versions = register_versions(client, name, [{"accuracy": 0.7 + i / 100} for i in range(4)])
        for i, version in enumerate(versions[:2] if scenario != "rollback_rollback" else versions[:3]):
            promote(client, name, version, audit=Audit("setup", f"r{i}"))
        holder = aliases(client, name)["champion"]
        kinds = scenario.split("_")
        barrier = tmp_path / f"barrier-{scenario}-{rep}"
        barrier.mkdir()
        dag_id = f"{scenario}_{rep}"
        moves = []  # one DAG id per installation: two DAG runs, never one run's retry
        for i, kind in enumerate(kinds):
            out = tmp_path / f"{dag_id}-{i}.json"
            args = f"version={versions[2 + i]!r}, " if kind == "promote" else 'reason="race", '
            op = "Promote" if kind == "promote" else "Rollback"
            sources[i] += DAG.format(dag_id=f"{dag_id}_{i}", op=op, model=name, barrier=str(barrier), me=str(i),
                                     out=str(out), args=args)
            moves.append((kind, out))
        rounds.append((dag_id, name, holder, moves))
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start(env, textwrap.dedent(src), [f"{r[0]}_{i}" for r in rounds], log)
             for i, (env, src, log) in enumerate(zip(envs, sources, logs, strict=True))]
    for proc, log in zip(procs, logs, strict=True):
        finish(proc, log)
    for dag_id, name, holder, moves in rounds:
        outcomes = [(kind, json.loads(out.read_text())) for kind, out in moves]
        print(dag_id, [o["outcome"] for _, o in outcomes])
        assert_serial(client, name, holder, outcomes)


KILL_DAG = '''
import os, pathlib, time
import airflow_mlmonitor.registry.actions as actions

_move = actions._move_for_promotion
HOLDING = pathlib.Path({holding!r})

def stalled_move(client, model_name, version, current, alias, previous_alias, audit, model):
    if os.environ.get("STALL_MOVE"):
        client.set_registered_model_alias(model_name, previous_alias, current)  # half of the move
        HOLDING.touch()
        time.sleep(3600)  # SIGKILLed here, holding the lease
    return _move(client, model_name, version, current, alias, previous_alias, audit, model)

actions._move_for_promotion = stalled_move
'''


def test_a_killed_lease_holder_is_recovered_after_expiry(homes, server_client, tmp_path):
    root, db, url = homes
    client = server_client
    name = unique_name("killed")
    v1, v2, v3 = register_versions(client, name, [{"accuracy": 0.7}, {"accuracy": 0.8}, {"accuracy": 0.9}])
    promote(client, name, v1, audit=Audit("setup", "r0"))
    ttl = "8"
    holding = tmp_path / "holding"
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    (barrier / "x").touch()  # no barrier: one participant each time
    sources = []
    for i, version in enumerate((v2, v3)):
        sources.append(HEADER + KILL_DAG.format(holding=str(holding)) + DAG.format(
            dag_id="move_it", op="Promote", model=name, barrier=str(barrier), me=f"m{i}",
            out=str(tmp_path / f"out{i}.json"), args=f"version={version!r}, "))
    env_a = {**installation(root, "kill-a", db, url, registry_lease_ttl=ttl), "STALL_MOVE": "1"}
    env_b = installation(root, "kill-b", db, url, registry_lease_ttl=ttl, registry_lease_wait="120")
    holder = start(env_a, textwrap.dedent(sources[0]), ["move_it"], logs[0])
    try:
        deadline = time.monotonic() + 300
        while not holding.exists():
            assert holder.poll() is None and time.monotonic() < deadline, logs[0].read_text()[-4000:]
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(holder.pid, signal.SIGKILL)  # the lease holder dies mid-move
        holder.wait(timeout=30)
    assert [m.name for m in client.search_registered_models(max_results=1000) if is_lease_name(m.name)
            and name in m.name], "the dead holder's lease is still there"
    began = time.monotonic()
    finish(start(env_b, textwrap.dedent(sources[1]), ["move_it"], logs[1]), logs[1])
    outcome = json.loads((tmp_path / "out1.json").read_text())
    assert outcome["outcome"] == "success", outcome
    assert (outcome["value"]["version"], outcome["value"]["previous_version"]) == (v3, v1)
    assert aliases(client, name) == {"champion": v3, "previous_champion": v1}
    assert read_history(client, name, "champion") == [v1, v3]
    assert "taking it over" in logs[1].read_text()
    assert [m.name for m in client.search_registered_models(max_results=1000) if is_lease_name(m.name)
            and name in m.name] == []
    assert time.monotonic() - began < 200
