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
CONNECTION_TYPES: list[dict[str, str]] = [
    {"connection-type": "statsd", "hook-class-name": "airflow_mlmonitor.hooks.statsd.StatsdHook", "hook-name": "StatsD"},
]
EXTRA_LINKS: list[str] = ["airflow_mlmonitor.links.reports.MonitoringReportLink"]
NOTIFICATIONS: list[str] = [
    "airflow_mlmonitor.notifications.statsd.StatsdNotifier",
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
