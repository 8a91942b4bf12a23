"""Multiple-testing correction of per-column p-values. Airflow-free.

Testing 50 columns at alpha 0.05 flags about 2.5 of them on data that did not change at all.
``correction="bonferroni"`` controls the family-wise error rate (the chance of any false alarm):
each p-value is multiplied by the number of tested columns. ``correction="bh"`` (Benjamini and
Hochberg, 1995) controls the false discovery rate (the expected share of false alarms among the
flagged columns) and keeps more power. Only p-value columns take part; distance methods are
untouched. Missing p-values (``None``) are left out of the family.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from airflow_mlmonitor.exceptions import InvalidInputError

Correction = Literal["bh", "bonferroni"]
CORRECTIONS: tuple[str, ...] = get_args(Correction)


def check_correction(value: object) -> Correction | None:
    """The rendered ``correction`` option, or a clear error naming it."""
    if value is None or value == "":
        return None
    if value not in CORRECTIONS:
        raise InvalidInputError(
            f"correction must be one of {', '.join(repr(c) for c in CORRECTIONS)} (or None for no correction), "
            f"got {value!r}"
        )
    return value  # type: ignore[return-value]


def adjust_p_values(p_values: Sequence[float | None], method: Correction) -> list[float | None]:
    """Adjusted p-values in the same order (``None`` stays ``None`` and does not count)."""
    present = [(i, float(p)) for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    if method == "bonferroni":
        for i, p in present:
            adjusted[i] = min(1.0, p * m)
        return adjusted
    if method != "bh":
        raise InvalidInputError(f"correction must be one of {CORRECTIONS}, got {method!r}")
    running = 1.0
    ranked = sorted(present, key=lambda item: item[1])
    for rank in range(m, 0, -1):  # step-up: the running minimum of m / rank * p from the largest p down
        i, p = ranked[rank - 1]
        running = min(running, p * m / rank)
        adjusted[i] = running
    return adjusted
