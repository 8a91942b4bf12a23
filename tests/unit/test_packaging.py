"""Packaging hygiene a user sees before running anything: one Python requirement stated everywhere,
the type marker, the license and the changelog. (The built wheel and mypy on a user DAG:
``tests/integration/test_packaging.py``.)"""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def supported_minor() -> str:
    match = re.fullmatch(r">=\s*3\.(\d+)", PYPROJECT["requires-python"])
    assert match, f"requires-python should be one lower bound, got {PYPROJECT['requires-python']!r}"
    return f"3.{match.group(1)}"


def test_one_python_requirement_everywhere():
    minor = supported_minor()
    classified = sorted(c.rsplit(" :: ", 1)[1] for c in PYPROJECT["classifiers"]
                        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert classified == [minor]  # the versions CI runs: the lock and .ci use one
    makefile = (REPO / "Makefile").read_text()
    assert re.search(rf"^PYTHON_VERSION \?= {re.escape(minor)}$", makefile, re.M)
    for doc in ("README.md", "docs/getting-started.md"):
        text = (REPO / doc).read_text()
        stated = set(re.findall(r"Python (3\.\d+)", text))
        assert stated == {minor}, f"{doc} states Python {sorted(stated)}, pyproject says >={minor}"


def test_the_package_is_typed_and_licensed():
    assert (REPO / "airflow_mlmonitor" / "py.typed").is_file()
    assert PYPROJECT["license"] == "Apache-2.0"
    license_text = (REPO / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text  # the full text, not a pointer to it
    assert "Typing :: Typed" in PYPROJECT["classifiers"]


def test_the_changelog_has_the_current_version():
    from airflow_mlmonitor import __version__

    changelog = (REPO / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{__version__}]" in changelog
