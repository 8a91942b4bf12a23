"""The Spark session of a task, from an Airflow connection, and Spark errors as clear messages.

One session per task: :func:`open_session` starts it from the connection (type ``spark`` of
``apache-airflow-providers-apache-spark``: host = master URL such as ``local[2]``,
``spark://host:7077``, ``yarn``; a ``sc://`` host, or a ``spark_connect`` connection, uses Spark
Connect) and the source that started it stops it when the task ends (``SparkSource.close``). A
session already active in the process (a notebook, a test suite, a Spark-enabled worker) is used
and left running. Spark logs at WARN into the task log (the JVM writes to the task's stderr); the
Spark UI is off. pyspark is imported only here, inside functions.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable
from typing import Any, TypeVar

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError, MissingDependencyError

T = TypeVar("T")
log = logging.getLogger(__name__)

INSTALL_PYSPARK = "pip install 'airflow-mlmonitor[spark]'"
INSTALL_JAVA = "install openjdk-17-jre-headless (Debian/Ubuntu) or another Java 17+ runtime, or set JAVA_HOME"
#: settings every session we start gets (the connection's extra ``spark_conf`` may add or override)
SESSION_CONF = {"spark.ui.enabled": "false", "spark.log.level": "WARN", "spark.ui.showConsoleProgress": "false"}


def import_pyspark() -> Any:
    """``pyspark.sql``, or a clear error naming the extra to install."""
    try:
        import pyspark.sql
    except ImportError as err:
        raise MissingDependencyError(
            f"SparkSource needs pyspark, which is not installed ({err}): {INSTALL_PYSPARK}."
        ) from None
    return pyspark.sql


def java_available() -> bool:
    """Whether a Java runtime can be found the way Spark's launcher looks for it."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return os.path.isfile(os.path.join(home, "bin", "java"))
    return shutil.which("java") is not None


def connection_target(conn_id: str, *, name: str) -> tuple[str, dict[str, str]]:
    """``(master URL or sc:// URL, extra Spark settings)`` of the Airflow connection ``conn_id``."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as err:
        raise InvalidInputError(
            f"{name}: Spark connection {conn_id!r} is not defined ({type(err).__name__}: {err}). Create a "
            "connection of type 'spark' whose host is the master URL (local[2], spark://host:7077, yarn, "
            "k8s://..., or sc://host:15002 for Spark Connect)."
        ) from None
    extra = conn.extra_dejson or {}
    conf = {str(k): str(v) for k, v in (extra.get("spark_conf") or {}).items()}
    if conn.conn_type == "spark_connect":
        from airflow.providers.apache.spark.hooks.spark_connect import SparkConnectHook

        return SparkConnectHook(conn_id).get_connection_url(), conf
    host = (conn.host or "").strip()
    if not host:
        raise InvalidInputError(
            f"{name}: Spark connection {conn_id!r} has no host; set it to the master URL (local[2], "
            "spark://host:7077, yarn...) or a Spark Connect URL (sc://host:15002)."
        )
    url = f"{host}:{conn.port}" if conn.port else host
    if extra.get("queue"):
        conf.setdefault("spark.yarn.queue", str(extra["queue"]))
    if extra.get("namespace"):
        conf.setdefault("spark.kubernetes.namespace", str(extra["namespace"]))
    return url, conf


def open_session(conn_id: str, *, name: str) -> tuple[Any, bool]:
    """The task's Spark session: ``(session, started)``; ``started`` is True when this call started
    it (the caller then stops it at the end of the task)."""
    sql = import_pyspark()
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return active, False
    url, conf = connection_target(conn_id, name=name)
    logging.getLogger("py4j").setLevel(logging.WARNING)
    if url.startswith("sc://"):
        builder = sql.SparkSession.builder.remote(url)
    else:
        if not java_available():
            raise MissingDependencyError(f"{name}: Spark needs a Java runtime and none was found: {INSTALL_JAVA}.")
        builder = sql.SparkSession.builder.master(url).appName("airflow-mlmonitor")
        for key, value in SESSION_CONF.items():
            builder = builder.config(key, value)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as err:
        if "JAVA_GATEWAY_EXITED" in str(err):
            raise MissingDependencyError(
                f"{name}: the Java process of Spark exited before it started ({short_error(err)}); check the "
                f"Java runtime ({INSTALL_JAVA}) and the task log above for Java's own message."
            ) from None
        raise DataLoadError(f"{name}: cannot start a Spark session on {url!r}: {short_error(err)}") from None
    log.info("Spark session started on %s (Spark %s)", url, session.version)
    return session, True


def is_spark_error(err: BaseException) -> bool:
    """An error raised by pyspark, py4j or the Spark Connect client."""
    return any(c.__module__.split(".")[0] in ("pyspark", "py4j", "grpc") for c in type(err).__mro__)


def short_error(err: BaseException, limit: int = 600) -> str:
    """The first meaningful line of a Spark error (no JVM stack trace)."""
    text = str(err).strip()
    java = getattr(err, "java_exception", None)
    if java is not None:
        with contextlib.suppress(Exception):  # a dead gateway: keep the Python text
            text = f"{java.getClass().getName()}: {java.getMessage()}"
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("at ")]
    first = lines[0] if lines else type(err).__name__
    return first if len(first) <= limit else first[: limit - 3] + "..."


def run_spark(action: Callable[[], T], what: str) -> T:
    """Run ``action`` (a Spark read or job); a Spark error becomes one :class:`DataLoadError` naming
    ``what`` (``"current: cannot read SparkSource(path=...)"``)."""
    try:
        return action()
    except Exception as err:
        if not is_spark_error(err):
            raise
        raise DataLoadError(f"{what}: {short_error(err)}") from None
