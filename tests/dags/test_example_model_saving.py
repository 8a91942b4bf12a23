"""Saving a model in the examples does not flood the task log with Airflow's deprecated-import
warnings (skops probes every loaded module with getattr; ~1,160 warnings per model before)."""

from __future__ import annotations

import importlib.util
import pathlib
import warnings

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "example_dags" / "example_model_health.py"


def test_saving_a_model_warns_nothing_about_deprecated_airflow_imports(tmp_path):
    import airflow.sdk  # noqa: F401 - the deprecated-import shims are what skops trips over
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    spec = importlib.util.spec_from_file_location("example_model_health_saving", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = LogisticRegression().fit(np.random.default_rng(0).random((20, 2)), np.arange(20) % 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module.save_sklearn_model(model, str(tmp_path / "model"))
    deprecated = [w for w in caught if "deprecated" in str(w.message).lower() and "airflow" in str(w.message)]
    assert deprecated == [], [str(w.message) for w in deprecated[:3]]
    assert (tmp_path / "model" / "MLmodel").is_file()
