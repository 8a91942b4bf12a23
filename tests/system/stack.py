"""`make stack` / `make stack-down`: a Celery deployment of Airflow on loopback, no containers.

    python -m tests.system.stack up   [--dir .stack]   # start (or reuse a healthy one), write {dir}/env
    python -m tests.system.stack down [--dir .stack]   # stop every process by PID

Started, in order, each on a free loopback port, logs and PIDs under ``{dir}``: Postgres (a fresh
cluster, run as the ``postgres`` user when we are root), Redis, an S3-compatible store (``moto_server``,
bucket ``mlmonitor``: reports under ``reports/``, MLflow artifacts under ``mlflow/``), the reference
StatsD daemon (npm ``statsd``), an MLflow server on Postgres, then Airflow 3 with ``CeleryExecutor``:
``db migrate``, scheduler, dag-processor, triggerer, api-server and two Celery workers with distinct
hostnames. The API server has its own ``AIRFLOW_HOME``; the workers share another one (the example
DAGs pass local files between their tasks), so reports reach the API server through S3 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping

from tests.fixtures.servers import free_port

REPO = pathlib.Path(__file__).resolve().parents[2]
PG_BIN = pathlib.Path(os.environ.get("MLMONITOR_PG_BIN", "/usr/lib/postgresql/15/bin"))
BIN = pathlib.Path(sys.executable).parent
BUCKET = "mlmonitor"
USER = "admin"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
WORKERS = ("w1", "w2")
#: Stop order: Airflow first (it holds DB connections), the services it uses last.
STOP_ORDER = (
    *(f"worker-{w}" for w in WORKERS), "scheduler", "triggerer", "dag-processor", "api-server",
    "mlflow", "statsd", "moto", "redis", "postgres",
)
AWS = {"AWS_ACCESS_KEY_ID": "mlmonitor", "AWS_SECRET_ACCESS_KEY": "mlmonitor-secret", "AWS_DEFAULT_REGION": "us-east-1"}


class Stack:
    """The deployment ``make stack`` starts. ``auth_manager`` (an import path) replaces
    SimpleAuthManager, and ``viewers`` adds users with the viewer role (generated passwords in
    ``passwords.json``), for tests of per-DAG permissions."""

    def __init__(self, root: pathlib.Path, *, auth_manager: str | None = None, viewers: tuple[str, ...] = ()) -> None:
        self.root = root.resolve()
        self.auth_manager = auth_manager or SIMPLE_AUTH_MANAGER
        self.viewers = viewers
        self.pids = self.root / "pids"
        self.logs = self.root / "logs"

    # -- processes -------------------------------------------------------------------------
    def start(self, name: str, cmd: list[str], env: Mapping[str, str] | None = None, cwd: pathlib.Path | None = None) -> int:
        """Start ``cmd`` in its own session (so ``down`` can stop its whole process group)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pids.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{name}.log"
        if log_path.exists():  # a restart: keep the old log next to the new one
            log_path.rename(self.logs / f"{name}.{time.time():.0f}.log")
        # Only the stack's own Airflow settings: none leak in from the caller (e.g. a test session).
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MLFLOW_TRACKING_URI"))}
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                cmd, env={**base, **(env or {})}, cwd=cwd or self.root, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        (self.pids / f"{name}.pid").write_text(str(proc.pid))
        return proc.pid

    def pid(self, name: str) -> int | None:
        try:
            return int((self.pids / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None

    def alive(self, name: str) -> bool:
        pid = self.pid(name)
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return _state(pid) != "Z"

    def stop(self, *names: str, timeout: float = 20) -> None:
        """Stop the process groups of ``names`` together: TERM (postgres: INT, its fast shutdown),
        then KILL whatever is left after ``timeout``."""
        pids = {name: pid for name in names if (pid := self.pid(name)) is not None}
        for name, pid in pids.items():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGINT if name == "postgres" else signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_group_alive(pid) for pid in pids.values()):
            time.sleep(0.2)
        for name, pid in pids.items():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            (self.pids / f"{name}.pid").unlink(missing_ok=True)

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group of ``name`` at once (a crash, not a shutdown)."""
        pid = self.pid(name)
        assert pid is not None, name
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.1)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)

    def down(self) -> None:
        self.stop(*STOP_ORDER[:6])  # Airflow first: it holds connections to the services
        self.stop(*STOP_ORDER[6:])
        for stray in sorted(self.pids.glob("*.pid")) if self.pids.exists() else []:
            self.stop(stray.stem)
        (self.root / "env").unlink(missing_ok=True)

    def wait(self, name: str, ready: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive(name):
                raise SystemExit(f"{name} exited; log {self.logs / (name + '.log')}:\n{self.tail(name)}")
            with contextlib.suppress(Exception):
                if ready():  # type: ignore[operator]
                    return
            time.sleep(0.5)
        raise SystemExit(f"{name} not ready after {timeout:.0f}s; log:\n{self.tail(name)}")

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    # -- services --------------------------------------------------------------------------
    def postgres(self, port: int) -> str:
        sys.path.insert(0, str(REPO))
        from tests.fixtures.postgres import init_cluster, postgres_command

        data, sock, as_pg = init_cluster(self.root / "pg", self.logs / "postgres-initdb.log")
        self.start("postgres", postgres_command(data, sock, as_pg, port, "max_connections=300"))
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        self.wait("postgres", lambda: _ok([*psql, "-c", "select 1"]), 60)
        for db in ("airflow", "mlflow"):
            _run([*psql, "-c", f"create database {db}"], self.logs / "postgres-initdb.log")
        return f"postgres@127.0.0.1:{port}"

    def redis(self, port: int) -> None:
        self.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.root)])
        self.wait("redis", lambda: _tcp(port), 30)

    def moto(self, port: int) -> str:
        endpoint = f"http://127.0.0.1:{port}"
        self.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
        self.wait("moto", lambda: _http(f"{endpoint}/moto-api/"), 60)
        import boto3

        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=AWS["AWS_DEFAULT_REGION"],
                          aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"])
        s3.create_bucket(Bucket=BUCKET)
        return endpoint

    def statsd(self, port: int, admin: int) -> None:
        sys.path.insert(0, str(REPO))
        from tests.fixtures.statsd import ensure_installed

        config = {"address": "127.0.0.1", "port": port, "mgmt_address": "127.0.0.1", "mgmt_port": admin,
                  "backends": [], "flushInterval": 3_600_000, "keyNameSanitize": False, "deleteIdleStats": False}
        (self.root / "statsd.js").write_text(f"({json.dumps(config)})\n")
        self.start("statsd", [shutil.which("node") or "node", str(ensure_installed()), str(self.root / "statsd.js")])
        self.wait("statsd", lambda: _tcp(admin), 30)

    def mlflow(self, port: int, pg: str, endpoint: str) -> str:
        url = f"http://127.0.0.1:{port}"
        self.start("mlflow", [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                              "--backend-store-uri", f"postgresql+psycopg2://{pg}/mlflow",
                              "--artifacts-destination", f"s3://{BUCKET}/mlflow"],
                   env={**AWS, "MLFLOW_S3_ENDPOINT_URL": endpoint, "MLFLOW_ENABLE_TELEMETRY": "false", "DO_NOT_TRACK": "1"})
        return url

    # -- Airflow ---------------------------------------------------------------------------
    def airflow_env(self, ports: dict[str, int], pg: str, endpoint: str, mlflow_url: str) -> dict[str, str]:
        api = f"http://127.0.0.1:{ports['api']}"
        secret = secrets.token_hex(32)
        s3_conn = {"conn_type": "aws", "login": AWS["AWS_ACCESS_KEY_ID"], "password": AWS["AWS_SECRET_ACCESS_KEY"],
                   "extra": {"endpoint_url": endpoint, "region_name": AWS["AWS_DEFAULT_REGION"],
                             # fail fast when the store is down: a clear error, then Airflow's retry
                             "config_kwargs": {"connect_timeout": 3, "read_timeout": 30,
                                               "retries": {"max_attempts": 2, "mode": "standard"}}}}
        dags = self.root / "dags"
        dags.mkdir(exist_ok=True)
        for source in [*sorted((REPO / "example_dags").glob("*.py")), *sorted((REPO / "tests/system/dags").glob("*.py"))]:
            link = dags / source.name
            link.unlink(missing_ok=True)
            link.symlink_to(source)
        (self.root / "pylib").mkdir(exist_ok=True)
        (self.root / "pylib" / "mlmonitor_stack_host.py").write_text(
            "import os, socket\n\n\ndef hostname():\n"
            "    return os.environ.get('MLMONITOR_STACK_HOSTNAME') or socket.getfqdn()\n"
        )
        users = (USER, *self.viewers)
        (self.root / "passwords.json").write_text(json.dumps({user: secrets.token_urlsafe(12) for user in users}))
        return {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}/airflow",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}/airflow",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
            "AIRFLOW__API__BASE_URL": api,
            "AIRFLOW__API__SECRET_KEY": secret,
            "AIRFLOW__API_AUTH__JWT_SECRET": secret,
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "mlmonitor_stack_host.hostname",
            "AIRFLOW__CORE__AUTH_MANAGER": self.auth_manager,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join([f"{USER}:admin", *(f"{v}:viewer" for v in self.viewers)]),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.root / "passwords.json"),
            "AIRFLOW__CORE__PARALLELISM": "16",
            "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "32",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            # runs start only when triggered (REST API, TriggerDagRunOperator): unpausing an @daily
            # example does not add a scheduled run to the machine's load
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # a SIGKILLed worker's task is noticed within a minute, not five
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            # Task logs on one folder every Airflow process sees (the Helm chart's shared logs volume),
            # so the REST API serves them; reports never rely on it: they are on S3.
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.root / "task-logs"),
            "MLMONITOR_STACK_LOG_PORT": str(ports["logs"]),
            "AIRFLOW__MLMONITOR__REPORT_BASE_PATH": f"s3://{BUCKET}/reports",
            "AIRFLOW__MLMONITOR__REPORT_CONN_ID": "mlmonitor_s3",
            "AIRFLOW__MLMONITOR__EMIT_TASK_METRICS": "True",
            "AIRFLOW_CONN_MLMONITOR_S3": json.dumps(s3_conn),
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(s3_conn),
            "AIRFLOW_CONN_MLFLOW_DEFAULT": json.dumps({"conn_type": "mlflow", "host": mlflow_url}),
            "AIRFLOW_CONN_STATSD_DEFAULT": json.dumps({"conn_type": "statsd", "host": "127.0.0.1", "port": ports["statsd"]}),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(self.root / "pylib"), str(REPO), os.environ.get("PYTHONPATH")])),
            "GX_ANALYTICS_ENABLED": "False", "MLFLOW_ENABLE_TELEMETRY": "false", "DO_NOT_TRACK": "1",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        }

    def airflow(self, env: dict[str, str], ports: dict[str, int]) -> None:
        airflow = str(BIN / "airflow")
        home = {"AIRFLOW_HOME": str(self.root / "airflow")}
        (self.root / "airflow.json").write_text(json.dumps(env))
        _run([airflow, "db", "migrate"], self.logs / "db-migrate.log", env={**os.environ, **env, **home})
        api = f"http://127.0.0.1:{ports['api']}"
        self.start("api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(ports["api"]), "--workers", "1"],
                   env={**env, **home})
        for name in ("scheduler", "dag-processor", "triggerer"):
            self.start(name, [airflow, name], env={**env, **home})
        for worker in WORKERS:
            self.start_worker(worker, env)
        self.wait("api-server", lambda: _http(f"{api}/api/v2/monitor/health"), 240)

    def start_worker(self, worker: str, env: Mapping[str, str] | None = None) -> int:
        """Start Celery worker ``worker`` (``w1``/``w2``): its own hostname and log-server port."""
        env = env or json.loads((self.root / "airflow.json").read_text())
        index = WORKERS.index(worker)
        worker_env = {
            **env, "AIRFLOW_HOME": str(self.root / "airflow-workers"), "MLMONITOR_STACK_HOSTNAME": f"mlmonitor-{worker}",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(int(env["MLMONITOR_STACK_LOG_PORT"]) + index),
        }
        return self.start(f"worker-{worker}", [str(BIN / "airflow"), "celery", "worker", "--celery-hostname",
                                               f"{worker}@mlmonitor-stack", "--concurrency", "2",
                                               "--without-mingle", "--without-gossip"], env=worker_env)

    def restart_moto(self, env: Mapping[str, str]) -> None:
        """Start the S3 endpoint again on its port (moto keeps objects in memory: the bucket is new)."""
        self.moto(int(env["S3_ENDPOINT"].rsplit(":", 1)[1]))

    def worker_ready(self, worker: str) -> bool:
        return f"{worker}@mlmonitor-stack ready" in self.tail(f"worker-{worker}", 1_000_000)

    def up(self) -> dict[str, str]:
        if self.healthy():
            print(f"Stack already running: reusing it ({self.root / 'env'}).")
            return read_env(self.root / "env")
        self.down()
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.logs, ignore_errors=True)
        ports = {name: free_port() for name in ("pg", "redis", "moto", "mlflow", "api", "admin", "logs")}
        ports["logs"] = _free_pair()
        ports["statsd"] = free_port(socket.SOCK_DGRAM)
        pg = self.postgres(ports["pg"])
        self.redis(ports["redis"])
        endpoint = self.moto(ports["moto"])
        self.statsd(ports["statsd"], ports["admin"])
        mlflow_url = self.mlflow(ports["mlflow"], pg, endpoint)
        env = self.airflow_env(ports, pg, endpoint, mlflow_url)
        self.airflow(env, ports)
        self.wait("mlflow", lambda: _http(f"{mlflow_url}/health"), 120)
        for worker in WORKERS:
            self.wait(f"worker-{worker}", lambda w=worker: self.worker_ready(w), 180)
        password = json.loads((self.root / "passwords.json").read_text())[USER]
        values = {
            "AIRFLOW_API": env["AIRFLOW__API__BASE_URL"], "AIRFLOW_USER": USER, "AIRFLOW_PASSWORD": password,
            "S3_ENDPOINT": endpoint, "S3_BUCKET": BUCKET, "REPORT_BASE_PATH": env["AIRFLOW__MLMONITOR__REPORT_BASE_PATH"],
            "MLFLOW_TRACKING_URI": mlflow_url, "STATSD_ADMIN": f"127.0.0.1:{ports['admin']}",
            "STATSD_PORT": str(ports["statsd"]), "STACK_DIR": str(self.root),
            **{f"STACK_{k}": v for k, v in AWS.items()},
            "STACK_READY_SECONDS": f"{time.monotonic() - started:.0f}",
        }
        (self.root / "airflow.env").write_text("".join(f"{k}={_quote(v)}\n" for k, v in env.items()))
        (self.root / "env").write_text("".join(f"{k}={_quote(v)}\n" for k, v in values.items()))
        return values

    def healthy(self) -> bool:
        env_file = self.root / "env"
        if not env_file.exists() or not all(self.alive(name) for name in STOP_ORDER):
            return False
        return _http(f"{read_env(env_file)['AIRFLOW_API']}/api/v2/monitor/health")


def _state(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in process group ``pgid``."""
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _free_pair() -> int:
    while True:
        port = free_port()
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port + 1))
            return port


def _run(cmd: list[str], log: pathlib.Path, env: Mapping[str, str] | None = None) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        code = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False).returncode
    if code != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed ({code}); log {log}:\n{log.read_text()[-3000:]}")


def _ok(cmd: list[str]) -> bool:
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def _tcp(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def read_env(path: pathlib.Path) -> dict[str, str]:
    """Read a file written by ``up`` (``KEY='value'`` lines)."""
    import shlex

    values = {}
    for line in path.read_text().splitlines():
        key, _, raw = line.partition("=")
        values[key] = shlex.split(raw)[0] if raw else ""
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--dir", default=str(REPO / ".stack"))
    args = parser.parse_args(argv)
    stack = Stack(pathlib.Path(args.dir))
    if args.command == "down":
        stack.down()
        print("Stack stopped.")
        return 0
    try:
        values = stack.up()
    except BaseException:
        print(f"Stack failed to start; logs in {stack.logs}. Stopping what started.", file=sys.stderr)
        stack.down()
        raise
    print(f"Stack ready in {values['STACK_READY_SECONDS']} s. Settings: {stack.root / 'env'}")
    for key in ("AIRFLOW_API", "AIRFLOW_USER", "AIRFLOW_PASSWORD", "S3_ENDPOINT", "REPORT_BASE_PATH",
                "MLFLOW_TRACKING_URI", "STATSD_ADMIN"):
        print(f"  {key}={values[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
