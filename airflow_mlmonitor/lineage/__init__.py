"""OpenLineage naming and data-quality facets of check results, as plain data. Airflow-free and
OpenLineage-free: ``airflow_mlmonitor.operators._lineage`` turns these into OpenLineage objects."""
