"""Provider metadata read by Airflow's providers manager (``apache_airflow_provider`` entry point).

Only dotted paths that exist are listed: ``tests/unit/test_provider_info.py`` imports every one.
"""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor import __version__

#: The ``[mlmonitor]`` configuration section: options, defaults and what they mean.
CONFIG: dict[str, Any] = {
    "mlmonitor": {
        "description": "Settings of the airflow-mlmonitor provider (reports, metrics).",
        "options": {
            "report_base_path": {
                "description": (
                    "Where check reports (HTML plus the result JSON) are stored: any ObjectStoragePath "
                    "URL (file://, s3://, gs://...) or a local path. One folder per "
                    "dag_id/run_id/task_id/map_index/try_number. Empty means "
                    "{AIRFLOW_HOME}/mlmonitor/reports."
                ),
                "version_added": "0.1.0",
                "type": "string",
                "example": "s3://my-bucket/mlmonitor/reports",
                "default": "",
            },
            "report_conn_id": {
                "description": "Connection used to reach report_base_path (remote object storage).",
                "version_added": "0.1.0",
                "type": "string",
                "example": "aws_default",
                "default": "",
            },
            "emit_task_metrics": {
                "description": (
                    "Emit task duration and success/failure/retry StatsD metrics for every task of "
                    "every DAG through a listener, without touching DAG files."
                ),
                "version_added": "0.1.0",
                "type": "boolean",
                "example": "True",
                "default": "False",
            },
        },
    }
}

#: Added to as capabilities land; each entry is imported by the provider-info test.
CONNECTION_TYPES: list[dict[str, Any]] = [
    {"connection-type": "statsd", "hook-class-name": "airflow_mlmonitor.hooks.statsd.StatsdHook", "hook-name": "StatsD"},
    {
        "connection-type": "mlflow",
        "hook-class-name": "airflow_mlmonitor.hooks.mlflow.MLflowHook",
        "hook-name": "MLflow",
        "conn-fields": {
            "tracking_uri": {
                "label": "Tracking URI",
                "description": "Full MLflow tracking URI; when set it wins over host/port/schema.",
                "schema": {"type": ["string", "null"]},
            },
            "registry_uri": {
                "label": "Registry URI",
                "description": "Model registry URI when it differs from the tracking URI (host).",
                "schema": {"type": ["string", "null"]},
            },
            "token": {
                "label": "Token",
                "description": "Bearer token (instead of login/password).",
                "schema": {"type": ["string", "null"], "format": "password"},
            },
            "timeout": {
                "label": "Request timeout (s)",
                "description": "Seconds per HTTP request before failing (default 30).",
                "schema": {"type": ["number", "null"]},
            },
            "max_retries": {
                "label": "Max retries",
                "description": "Retries of a refused/failed HTTP request (default 2).",
                "schema": {"type": ["integer", "null"]},
            },
            "artifact_location": {
                "label": "Artifact location",
                "description": "Artifact root for experiments created through the hook (sqlite stores).",
                "schema": {"type": ["string", "null"]},
            },
            "insecure": {
                "label": "Skip TLS verification",
                "description": "Do not verify the server's TLS certificate (tests only).",
                "schema": {"type": ["boolean", "null"]},
            },
        },
        "ui-field-behaviour": {
            "hidden-fields": [],
            "relabeling": {"host": "Tracking URI", "login": "Username"},
            "placeholders": {
                "host": "http://mlflow:5000 or sqlite:////path/mlflow.db",
                "schema": "http or https (bare host name only)",
                "port": "5000",
            },
        },
    },
]
EXTRA_LINKS: list[str] = ["airflow_mlmonitor.links.reports.MonitoringReportLink"]
NOTIFICATIONS: list[str] = [
    "airflow_mlmonitor.notifications.statsd.StatsdNotifier",
    "airflow_mlmonitor.notifications.mlflow.MLflowRollbackNotifier",
]
INTEGRATIONS: list[dict[str, Any]] = []


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-mlmonitor",
        "name": "ML Monitor",
        "description": (
            "Monitoring for ML pipelines: data quality (Great Expectations), drift (Evidently), "
            "MLflow model comparison, promotion and rollback, retraining triggers, StatsD metrics."
        ),
        "versions": [__version__],
        "connection-types": CONNECTION_TYPES,
        "extra-links": EXTRA_LINKS,
        "notifications": NOTIFICATIONS,
        "plugins": [{"name": "mlmonitor", "plugin-class": "airflow_mlmonitor.plugins.mlmonitor.MLMonitorPlugin"}],
        "config": CONFIG,
    }
