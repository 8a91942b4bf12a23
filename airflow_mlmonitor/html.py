"""Jinja2 environments for the HTML we render ourselves (reports, plugin pages). Airflow-free.

Autoescaping is always on and undefined names are errors: no page is assembled by string
concatenation, and a value reaches the page only through a template expression.
"""

from __future__ import annotations

import functools
import json
from typing import Any


@functools.cache
def environment(package: str, folder: str = "templates") -> Any:
    """The (cached) environment loading ``folder`` of ``package`` (``airflow_mlmonitor.quality``...)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["as_given"] = as_given
    return env


def render(package: str, template: str, **values: Any) -> str:
    """Render ``template`` of ``package``'s templates folder with ``values`` (autoescaped)."""
    return str(environment(package).get_template(template).render(**values))


def as_given(value: Any, limit: int = 300) -> str:
    """A value as the user wrote it: ``18`` not ``18.0``, strings and structures as JSON."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    try:
        text = json.dumps(_whole_numbers(value), default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole_numbers(v) for v in value]
    return value
