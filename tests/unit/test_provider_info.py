"""Every dotted path named in provider info must import, and the metadata must validate."""

from __future__ import annotations

import importlib
import json
import pathlib

import pytest

from airflow_mlmonitor.get_provider_info import get_provider_info


def _dotted_paths(info: dict) -> list[str]:
    paths = [c["hook-class-name"] for c in info.get("connection-types", [])]
    paths += info.get("extra-links", [])
    paths += info.get("notifications", [])
    paths += [p["plugin-class"] for p in info.get("plugins", [])]
    return paths


@pytest.mark.parametrize("dotted", _dotted_paths(get_provider_info()))
def test_every_dotted_path_imports(dotted):
    module, _, name = dotted.rpartition(".")
    assert getattr(importlib.import_module(module), name) is not None


def test_provider_info_matches_airflow_schema():
    import airflow
    import jsonschema

    schema = json.loads((pathlib.Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_package_name_is_the_distribution_name():
    from importlib.metadata import entry_points

    info = get_provider_info()
    assert info["package-name"] == "airflow-mlmonitor"
    eps = [ep for ep in entry_points(group="apache_airflow_provider") if ep.dist and ep.dist.name == "airflow-mlmonitor"]
    assert len(eps) == 1 and eps[0].load()() == info
    plugins = [ep for ep in entry_points(group="airflow.plugins") if ep.name == "mlmonitor"]
    assert len(plugins) == 1 and plugins[0].load().name == "mlmonitor"


def test_config_section_documents_every_option():
    options = get_provider_info()["config"]["mlmonitor"]["options"]
    assert set(options) >= {"report_base_path", "report_conn_id", "emit_task_metrics"}
    assert all(o["description"] and o["default"] is not None for o in options.values())
