"""Every public operator, sensor, notifier and hook documents every ``__init__`` parameter.

The API reference (``docs/reference.md``) is generated from these docstrings, so a parameter
without a ``:param name:`` entry is a parameter users cannot look up. Parameters reached through
``**kwargs`` of one of our base classes (``on_failure``, ``statsd_conn_id``...) count for every
subclass, and may be documented on that base; Airflow's own ``BaseOperator`` parameters
(``task_id``, ``retries``...) are Airflow's to document.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator

import pytest

PUBLIC_PACKAGES = ("operators", "sensors", "notifications", "hooks")
_PARAM = re.compile(r":param\s+(?:[^:\s]+\s+)?([\w/, ]+?):")


def public_modules() -> Iterator[str]:
    for package in PUBLIC_PACKAGES:
        root = importlib.import_module(f"airflow_mlmonitor.{package}")
        for info in pkgutil.iter_modules(root.__path__):
            if not info.name.startswith("_"):
                yield f"{root.__name__}.{info.name}"


def public_classes() -> list[type]:
    """Operators, sensors, notifiers and hooks defined in the public modules (not their helpers)."""
    from airflow.sdk import BaseHook, BaseNotifier, BaseOperator

    found: dict[type, None] = {}  # ordered, and an alias (``send_statsd_metrics``) counts once
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == module_name
                and not name.startswith("_")
                and issubclass(obj, (BaseOperator, BaseNotifier, BaseHook))
            ):
                found[obj] = None
    return list(found)


def own_bases(cls: type) -> list[type]:
    """``cls`` and the classes of this package it inherits from (whose ``__init__`` it reaches)."""
    return [klass for klass in cls.__mro__ if klass.__module__.startswith("airflow_mlmonitor.")]


def init_parameters(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in own_bases(cls):
        if "__init__" not in vars(klass):
            continue
        for parameter in inspect.signature(klass.__init__).parameters.values():
            if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL) or parameter.name == "self":
                continue
            if not parameter.name.startswith("_"):
                names.add(parameter.name)
    return names


def documented_parameters(cls: type) -> set[str]:
    """Names in ``:param name:`` / ``:param type name:`` / ``:param a/b:`` of the class and its bases."""
    names: set[str] = set()
    for klass in own_bases(cls):
        init = vars(klass).get("__init__")
        for doc in (klass.__doc__, getattr(init, "__doc__", None)):
            for group in _PARAM.findall(doc or ""):
                names.update(part.strip() for part in re.split(r"[/,]", group) if part.strip())
    return names


def test_the_public_classes_are_found():
    names = {cls.__name__ for cls in public_classes()}
    assert {
        "DataQualityOperator", "DriftReportOperator", "MLflowModelComparisonOperator",
        "MLflowPromoteModelOperator", "MLflowRollbackOperator", "RetrainTriggerOperator",
        "MLflowModelVersionSensor", "MLflowRollbackNotifier", "StatsdNotifier", "MLflowHook", "StatsdHook",
    } <= names


def test_every_public_class_has_a_docstring():
    undocumented = [f"{cls.__module__}.{cls.__qualname__}" for cls in public_classes() if not cls.__doc__]
    assert not undocumented, f"public classes without a docstring: {undocumented}"


def test_every_public_init_parameter_is_documented():
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}.{name}"
        for cls in public_classes()
        for name in init_parameters(cls) - documented_parameters(cls)
    )
    assert not missing, (
        "public __init__ parameters without a ':param name:' line in the class docstring (or in the "
        "docstring of the airflow_mlmonitor base class that takes them):\n  " + "\n  ".join(missing)
    )


class _Documented:
    """A stand-in with one documented and one undocumented parameter.

    :param alpha: documented.
    :param str beta/gamma: two names in one entry, with a type.
    """

    __module__ = "airflow_mlmonitor.operators.example"

    def __init__(self, *, alpha: int, beta: int, gamma: int, delta: int, _private: int = 0, **kwargs: int) -> None:
        pass


@pytest.mark.parametrize(("name", "documented"), [("alpha", True), ("beta", True), ("gamma", True), ("delta", False)])
def test_the_check_reads_param_entries_like_sphinx(name, documented):
    assert init_parameters(_Documented) == {"alpha", "beta", "gamma", "delta"}  # no **kwargs, no _private
    assert (name in documented_parameters(_Documented)) is documented
