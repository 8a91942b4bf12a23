"""The shipped alert rules pass Prometheus' own tools: ``promtool check rules`` and ``promtool test
rules`` (Debian package ``prometheus``, installed by ``.ci/system-deps.sh``)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "telemetry"

pytestmark = pytest.mark.integration


def promtool(*args: str, cwd: pathlib.Path = DOCS) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    if exe is None:
        pytest.fail("promtool is missing: run `bash .ci/system-deps.sh` (Debian package prometheus)")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_alert_rules():
    proc = promtool("check", "rules", "alerts.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 7 rules found" in proc.stdout


def test_promtool_unit_tests_of_the_alerts_pass():
    proc = promtool("test", "rules", "alerts_test.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


@pytest.mark.parametrize(
    ("original", "mutated", "alert"),
    [
        ("(mlmonitor_model_performance_ratio) < 0.9", "(mlmonitor_model_performance_ratio) < 0.7", "ModelAccuracyDrop"),
        ("offset 15m)", "offset 1m)", "ModelRolledBack"),
        (") > 7200", ") > 9000", "TrainingDurationExceeded"),
    ],
)
def test_the_alert_tests_catch_a_broken_rule(tmp_path, original, mutated, alert):
    """A test that cannot fail is a defect: a weakened rule makes `promtool test rules` fail."""
    rules = (DOCS / "alerts.yml").read_text()
    assert original in rules
    (tmp_path / "alerts.yml").write_text(rules.replace(original, mutated))
    shutil.copy(DOCS / "alerts_test.yml", tmp_path / "alerts_test.yml")
    proc = promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert proc.returncode != 0
    assert alert in proc.stdout + proc.stderr
