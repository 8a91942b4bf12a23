"""airflow-mlmonitor: an Apache Airflow 3 provider for monitoring ML pipelines."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
