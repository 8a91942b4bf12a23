"""`make ui`: serve the Airflow home that `make demo` filled with ``airflow api-server`` on loopback.

Run with the demo's environment (the Makefile's ``DEMO_ENV``). Port 8080 when it is free (the
demo's "Monitoring report" links were stored for ``http://localhost:8080``), else a free port.
SimpleAuthManager with user ``admin`` and a password generated now and printed once. Ctrl-C stops
the server.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def _port() -> int:
    for port in (8080, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise SystemExit("no free port")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main() -> int:
    home = pathlib.Path(os.environ.get("AIRFLOW_HOME", "")).resolve()
    if not (home / "airflow.db").exists():
        print(f"No demo Airflow home at {home}: run `make demo` first.", file=sys.stderr)
        return 1
    port = _port()
    base = f"http://localhost:{port}" if port == 8080 else f"http://127.0.0.1:{port}"
    password = secrets.token_urlsafe(12)
    passwords = home / "ui-passwords.json"
    passwords.write_text(json.dumps({"admin": password}))
    passwords.chmod(0o600)
    env = {
        **os.environ,
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
    }
    log = home / "ui-api-server.log"
    airflow = pathlib.Path(sys.executable).with_name("airflow")
    cmd = [str(airflow), "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        print(f"Starting the Airflow API server on {base} (log: {log}) ...", flush=True)
        deadline = time.monotonic() + 240
        while not _healthy(f"{base}/api/v2/monitor/health"):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
                return 1
            time.sleep(1)
        print(f"\n  Airflow UI: {base}\n  Login: admin / {password}\n  ML Monitor: {base}/mlmonitor/ui/results\n\n"
              "Open a check task (e.g. example_drift_monitor > feature_drift) and its 'ML Monitor' tab. "
              "Ctrl-C stops the server.", flush=True)
        proc.wait()
        return proc.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        print("API server stopped.")


if __name__ == "__main__":
    sys.exit(main())
