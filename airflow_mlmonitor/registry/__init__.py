"""MLflow model registry domain: references, champion/challenger comparison, promotion and rollback.

Airflow-free. Functions take an injected ``MlflowClient`` (built by
:func:`airflow_mlmonitor.registry.client.build_client` or ``MLflowHook.get_conn()``) and return
small frozen dataclasses. MLflow itself is only imported inside functions.
"""
