"""Retraining triggers: decide from check results, respect a cooldown. Airflow-free."""
