"""Drift verdicts at scale: the engine next to Evidently's DataDriftPreset run directly, same data.

Cases: 100,000 and 1,000,000 rows x (20 numerical + 5 categorical) columns, unshifted and shifted,
and 10,000,000 x 20 numerical from parquet files (Evidently is not run there: it cannot on this
kind of machine). Every measurement runs in a fresh subprocess; its peak RSS (VmHWM) is reset
after imports and after loading in-memory inputs, so "RSS MB" is the process peak while the verdicts
are computed, inputs included (parquet: files read during the measurement). Prints one table. Targets (issue 9): engine >= 30x faster than Evidently at 1,000,000 rows;
engine peak RSS <= 1.5 x the two inputs' in-memory size + 300 MB; 10M rows from parquet under 3 GB.

Run by hand: ``.venv/bin/python tests/benchmarks/bench_drift.py [--quick] [--no-10m] [--rows N ...]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

N_NUM, N_CAT = 20, 5
CATEGORIES = [[f"c{j}_{i}" for i in range(4 + 3 * j)] for j in range(N_CAT)]


def column_types(n_cat: int = N_CAT) -> dict[str, str]:
    types = {f"num{i}": "numerical" for i in range(N_NUM)}
    types.update({f"cat{j}": "categorical" for j in range(n_cat)})
    return types


def make_chunk(rows: int, shifted: bool, seed: int, n_cat: int = N_CAT):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {}
    for i in range(N_NUM):
        shift = 0.15 * (i % 2) if shifted else 0.0  # half the numerical columns move by 0.15 std
        data[f"num{i}"] = rng.normal(10 * i + shift * (1 + i), 1 + i, rows)
    for j in range(n_cat):
        k = len(CATEGORIES[j])
        weights = np.linspace(1, 2 if shifted and j < 3 else 1, k)
        data[f"cat{j}"] = pd.Categorical.from_codes(rng.choice(k, rows, p=weights / weights.sum()), CATEGORIES[j])
    frame = pd.DataFrame(data)
    for j in range(n_cat):
        frame[f"cat{j}"] = frame[f"cat{j}"].astype(str)
    return frame


def write_parquet(path: Path, rows: int, shifted: bool, seed: int, n_cat: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    step = 1_000_000
    for start in range(0, rows, step):
        table = pa.Table.from_pandas(make_chunk(min(step, rows - start), shifted, seed + start, n_cat), preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=250_000)
    assert writer is not None
    writer.close()


# ------------------------------------------------------------------------ measured subprocesses


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark (VmHWM) so the peak covers only what follows."""
    import gc

    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _release_arrow_pool() -> None:
    """Give back to the OS the buffers pyarrow freed while loading (its pool keeps them otherwise)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_evidently(reference: str, current: str, n_cat: int) -> dict:
    import warnings

    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    warnings.simplefilter("ignore")
    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    types = column_types(n_cat)
    definition = DataDefinition(
        numerical_columns=[c for c, t in types.items() if t == "numerical"],
        categorical_columns=[c for c, t in types.items() if t == "categorical"],
    )
    _release_arrow_pool()
    _reset_peak()
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition)
    )
    seconds = time.perf_counter() - start
    scores = {}
    for metric in snapshot.dict()["metrics"]:
        if metric["config"]["type"].endswith("ValueDrift"):
            scores[metric["config"]["column"]] = float(metric["value"])
    return {"seconds": seconds, "peak_mb": _peak_mb(), "scores": scores}


def run_engine(reference: str, current: str, n_cat: int, mode: str) -> dict:
    import pandas as pd
    import scipy.spatial.distance
    import scipy.stats  # noqa: F401

    from airflow_mlmonitor.drift.engine import compute_column_drift
    from airflow_mlmonitor.drift.parquet import ParquetColumns
    from airflow_mlmonitor.drift.types import DriftOptions

    if mode == "parquet":
        ref, cur = ParquetColumns(reference), ParquetColumns(current)
        input_mb = None
    else:
        ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
        input_mb = (ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum()) / 2**20
    _release_arrow_pool()
    _reset_peak()
    rss_before = _rss_mb()
    start = time.perf_counter()
    result = compute_column_drift(ref, cur, DriftOptions(), column_types(n_cat), workers=1 if mode == "serial" else None)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "rss_before_mb": rss_before,
        "input_mb": input_mb,
        "scores": {c.name: c.score for c in result},
        "drifted": sum(c.drifted for c in result),
    }


def measure(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"worker {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def agree(ours: dict, theirs: dict) -> bool:
    return ours.keys() == theirs.keys() and all(
        abs(ours[c] - theirs[c]) <= 1e-6 * abs(theirs[c]) + 1e-300 for c in theirs
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100k rows only")
    parser.add_argument("--no-10m", action="store_true")
    parser.add_argument("--rows", type=int, nargs="*", help="row counts of the Evidently cases")
    args = parser.parse_args()
    rows_list = args.rows or ([100_000] if args.quick else [100_000, 1_000_000])
    header = (
        f"{'case':<28}{'inputs MB':>10}{'Evidently s':>12}{'RSS MB':>8}{'engine s':>10}{'RSS MB':>8}"
        f"{'1 thread s':>11}{'parquet s':>10}{'RSS MB':>8}{'speedup':>9}{'RSS budget':>11}{'scores':>8}"
    )
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        for rows in rows_list:
            for shifted in (False, True):
                ref, cur = f"{tmp}/ref-{rows}-{shifted}.parquet", f"{tmp}/cur-{rows}-{shifted}.parquet"
                write_parquet(Path(ref), rows, False, 1, N_CAT)
                write_parquet(Path(cur), rows, shifted, 2, N_CAT)
                evidently = measure("evidently", ref, cur, str(N_CAT))
                frames = measure("frames", ref, cur, str(N_CAT))
                serial = measure("serial", ref, cur, str(N_CAT))
                parquet = measure("parquet", ref, cur, str(N_CAT))
                budget = 1.5 * frames["input_mb"] + 300
                ok = agree(frames["scores"], evidently["scores"]) and agree(parquet["scores"], frames["scores"])
                case = f"{rows:,} x {N_NUM}+{N_CAT} {'shifted' if shifted else 'unshifted'}"
                lines.append(
                    f"{case:<28}{frames['input_mb']:>10.0f}{evidently['seconds']:>12.1f}{evidently['peak_mb']:>8.0f}"
                    f"{frames['seconds']:>10.2f}{frames['peak_mb']:>8.0f}{serial['seconds']:>11.2f}"
                    f"{parquet['seconds']:>10.2f}{parquet['peak_mb']:>8.0f}"
                    f"{evidently['seconds'] / frames['seconds']:>8.0f}x{budget:>11.0f}{'equal' if ok else 'DIFFER':>8}"
                )
                print(lines[-1], file=sys.stderr, flush=True)
        if not args.no_10m:
            rows = 10_000_000
            ref, cur = f"{tmp}/ref-10m.parquet", f"{tmp}/cur-10m.parquet"
            write_parquet(Path(ref), rows, False, 1, 0)
            write_parquet(Path(cur), rows, True, 2, 0)
            parquet = measure("parquet", ref, cur, "0")
            case = f"{rows:,} x {N_NUM} shifted"
            lines.append(
                f"{case:<28}{'(files)':>10}{'n/a':>12}{'':>8}{'':>10}{'':>8}{'':>11}"
                f"{parquet['seconds']:>10.2f}{parquet['peak_mb']:>8.0f}{'':>9}{3072:>11}"
                f"{parquet['drifted']:>5} dr"
            )
    print(header)
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        mode, reference, current, n_cat = sys.argv[2:6]
        if mode == "evidently":
            report = run_evidently(reference, current, int(n_cat))
        else:
            report = run_engine(reference, current, int(n_cat), mode)
        print(json.dumps(report))
    else:
        main()
