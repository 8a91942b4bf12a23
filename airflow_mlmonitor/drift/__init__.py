"""Drift between a reference and a current data set. Airflow-free; heavy imports inside functions.

- ``columns``: which columns are compared and as what type (Evidently's inference), input checks.
- ``options``: operator parameters -> ``types.DriftOptions`` (Evidently's names and precedence).
- ``verdicts``: ``compute_column_drift(reference, current, options, column_types)``, the one seam
  for per-column verdicts (today read from Evidently's own run).
- ``evidently``: the Evidently run, and ``render_report`` (HTML + JSON snapshot) from that same run.
- ``result``: the drift ``CheckResult`` (what lands in XCom).
- ``engine``/``parquet``/``methods``/``samples``: the fast exact engine for large inputs.
"""
