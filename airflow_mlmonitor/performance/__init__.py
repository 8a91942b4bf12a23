"""Live model performance: the average of the last N live evaluations against a baseline. Airflow-free."""
