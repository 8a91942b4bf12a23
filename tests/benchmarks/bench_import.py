"""Import cost of airflow_mlmonitor and all its DAG-facing modules over ``import airflow.sdk``.

Median of several fresh interpreters. Target: under 50 ms, and none of the heavy libraries loaded.
Run: ``make bench`` or ``.venv/bin/python tests/benchmarks/bench_import.py [runs]``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.unit.test_import_cost import HEAVY, dag_facing_modules

PROBE = """
import importlib, json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
for name in {modules!r}:
    importlib.import_module(name)
t2 = time.perf_counter()
print(json.dumps({{"sdk": t1 - t0, "ours": t2 - t1, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def main(runs: int = 9) -> None:
    modules = dag_facing_modules()
    code = PROBE.format(modules=modules, heavy=HEAVY)
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    sdk = statistics.median(s["sdk"] for s in samples) * 1000
    ours = statistics.median(s["ours"] for s in samples) * 1000
    heavy = sorted({m for s in samples for m in s["heavy"]})
    print(f"{'what':<44}{'median ms':>12}")
    print(f"{'import airflow.sdk':<44}{sdk:>12.1f}")
    print(f"{f'+ airflow_mlmonitor ({len(modules)} DAG-facing modules)':<44}{ours:>12.1f}")
    print(f"heavy libraries loaded: {heavy or 'none'}; target < 50 ms: {'met' if ours < 50 and not heavy else 'MISSED'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
