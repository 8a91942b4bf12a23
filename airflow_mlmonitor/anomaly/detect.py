"""Anomaly detection methods on a 1-D series: a registry of strategies, not an if/elif chain.

- ``"mad"``: robust z-score ``0.6745 * (x - median) / MAD``; a point is an anomaly when
  ``|z| > threshold`` (default 3.5, Iglewicz and Hoaglin). With MAD = 0 (over half the values equal)
  the mean absolute deviation (times 1.2533) is used instead; if that is 0 too, nothing is flagged.
- ``"isolation_forest"``: scikit-learn ``IsolationForest`` (200 trees, ``max_samples="auto"``,
  ``random_state=seed``) on the values. The score is its anomaly score ``-score_samples(x)`` in
  (0, 1] (about 0.5 for ordinary points). With ``contamination=None`` (the default) a point is an
  anomaly when its score exceeds ``threshold`` (default 0.78): isolated spikes score about 0.8 and
  more, while the tails of ordinary noise rarely pass 0.76, so a clean series flags (almost) nothing.
  With ``contamination`` set (a fraction in (0, 0.5]) sklearn's rule applies instead: exactly that
  share of the points is flagged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError, MissingDependencyError


@dataclasses.dataclass(frozen=True)
class Detection:
    """Per-point scores (higher = more anomalous) and flags, and the rule that produced them."""

    scores: tuple[float, ...]
    flags: tuple[bool, ...]
    rule: str

    @property
    def indices(self) -> list[int]:
        return [i for i, flagged in enumerate(self.flags) if flagged]


@dataclasses.dataclass(frozen=True)
class Method:
    name: str
    default_threshold: float
    detect: Callable[..., Detection]
    min_points: int


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def detect_mad(values: Sequence[float], *, threshold: float, **_: Any) -> Detection:
    median = _median(values)
    deviations = [abs(v - median) for v in values]
    mad = _median(deviations)
    if mad > 0:
        scale, rule = mad / 0.6745, f"|robust z| > {threshold:g} (MAD {mad:.4g})"
    else:
        mean_ad = sum(deviations) / len(deviations)
        scale, rule = mean_ad * 1.2533, f"|robust z| > {threshold:g} (MAD 0: mean absolute deviation {mean_ad:.4g})"
    if scale == 0:
        return Detection(tuple(0.0 for _ in values), tuple(False for _ in values), rule + "; all values equal")
    scores = tuple(abs(v - median) / scale for v in values)
    return Detection(scores, tuple(s > threshold for s in scores), rule)


def detect_isolation_forest(
    values: Sequence[float], *, threshold: float, contamination: float | None = None, seed: int = 0, **_: Any
) -> Detection:
    try:
        import numpy as np
        from sklearn.ensemble import IsolationForest
    except ImportError as err:
        raise MissingDependencyError(
            "method='isolation_forest' needs scikit-learn: pip install 'airflow-mlmonitor[anomaly]' "
            "(or use method='mad', which needs nothing)."
        ) from err
    data = np.asarray(values, dtype=float).reshape(-1, 1)
    forest = IsolationForest(
        n_estimators=200, max_samples="auto", contamination="auto" if contamination is None else contamination,
        random_state=seed,
    ).fit(data)
    scores = tuple(float(s) for s in -forest.score_samples(data))
    if contamination is None:
        return Detection(scores, tuple(s > threshold for s in scores), f"isolation score > {threshold:g} (seed {seed})")
    flags = tuple(bool(p == -1) for p in forest.predict(data))
    return Detection(scores, flags, f"the {contamination:g} most isolated share of points (seed {seed})")


METHODS: dict[str, Method] = {
    "mad": Method("mad", 3.5, detect_mad, min_points=3),
    "isolation_forest": Method("isolation_forest", 0.78, detect_isolation_forest, min_points=8),
}


def get_method(name: Any) -> Method:
    if name not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(map(repr, METHODS))}, got {name!r}")
    return METHODS[name]


def validate_options(method: Method, threshold: Any, contamination: Any) -> float:
    """The threshold to use (the method's default when None); raise naming a bad option."""
    if threshold is None:
        value = method.default_threshold
    elif isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold) or threshold <= 0:
        raise InvalidInputError(f"threshold must be a number > 0, got {threshold!r}")
    else:
        value = float(threshold)
    if contamination is not None:
        if method.name != "isolation_forest":
            raise InvalidInputError("contamination applies to method='isolation_forest' only; use threshold for 'mad'.")
        if isinstance(contamination, bool) or not isinstance(contamination, (int, float)) or not 0 < contamination <= 0.5:
            raise InvalidInputError(f"contamination must be a fraction in (0, 0.5] or None, got {contamination!r}")
    return value
