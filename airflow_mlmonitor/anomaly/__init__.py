"""Anomaly detection on a metric series (isolation forest or MAD robust z-score). Airflow-free."""
