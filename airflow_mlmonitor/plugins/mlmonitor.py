"""The ``mlmonitor`` Airflow plugin (``airflow.plugins`` entry point).

Kept import-light: workers load plugins too, so FastAPI apps and listeners are created lazily.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class MLMonitorPlugin(AirflowPlugin):
    """Report pages and the results API inside the Airflow UI (see the reports docs page)."""

    name = "mlmonitor"
