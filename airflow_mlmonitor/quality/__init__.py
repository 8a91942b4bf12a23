"""Data quality with Great Expectations 1.x. Airflow-free.

- :mod:`.suite`: turn expectation configs, a suite file or a suite callable into validated specs
  and a GX ``ExpectationSuite`` (clear errors naming the culprit).
- :mod:`.validate`: run GX (ephemeral context, pandas) on a DataFrame; returns GX's result JSON.
- :mod:`.interpret`: read that JSON into a :class:`~.types.QualityOutcome` and a ``CheckResult``.
- :mod:`.report`: the self-contained HTML report (and GX's own Data Docs page).
- :mod:`.check`: the one function the operator calls.

Great Expectations is only ever imported inside functions (it costs seconds).
"""
