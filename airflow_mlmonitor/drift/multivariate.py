"""Dataset-level drift of the joint distribution: a change in how columns move together. Airflow-free.

Two methods, both on seeded samples (``sample_size`` rows per side, default 25,000 for the classifier
and 100,000 for PCA) so that a million-row table is checked in seconds:

- ``domain_classifier``: a gradient-boosted tree classifier (scikit-learn's
  ``HistGradientBoostingClassifier``, seeded) learns to tell reference rows from current rows;
  its 3-fold cross-validated ROC AUC is the score. 0.5 means the two are indistinguishable;
  drift when the AUC exceeds ``threshold`` (default 0.55). It runs on one thread: OpenMP threads
  on a worker shared with other tasks were ten times slower in our runs, not faster.
- ``pca_reconstruction``: standardise on the reference, keep the principal components that explain
  65% of the reference's variance (NannyML's default), and measure each row's reconstruction
  error (Euclidean distance between the row and its projection back from the components). The
  score is the current mean error. The band is the held-out reference mean error (half of the
  reference sample, not used to fit) +- 3 standard deviations, from 200 bootstrap means of the
  held-out errors each of the current sample's size, plus the held-out mean's own sampling
  variance; drift when the score leaves the band (or exceeds ``threshold`` when one is given).

Numerical columns are used as is (missing values: native for the classifier, the reference mean
for PCA); categorical columns keep their 20 most frequent reference categories, the rest (and
categories new in the current data) become one "other" category: native categorical splits for
the classifier, one-hot columns for PCA. scikit-learn is imported at call time only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from airflow_mlmonitor.drift.types import ColumnType
from airflow_mlmonitor.exceptions import InvalidInputError, MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

MultivariateMethod = Literal["domain_classifier", "pca_reconstruction"]
MULTIVARIATE_METHODS: tuple[str, ...] = get_args(MultivariateMethod)
DEFAULT_AUC_THRESHOLD = 0.55
SAMPLE_SIZES: Mapping[str, int] = {"domain_classifier": 25_000, "pca_reconstruction": 100_000}
SEED = 42
VARIANCE_SHARE = 0.65
TOP_CATEGORIES = 20
FOLDS = 3
BOOTSTRAPS = 200
BAND_SIGMAS = 3.0


@dataclasses.dataclass(frozen=True)
class MultivariateDrift:
    """The dataset-level verdict: what lands in the result's ``multivariate``."""

    method: str
    score: float
    threshold: float
    drifted: bool
    rows: tuple[int, int]  # sampled (reference, current) rows
    lower_threshold: float | None = None  # pca_reconstruction: the band's lower edge
    components: int | None = None  # pca_reconstruction: components kept

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "score": self.score,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "reference_rows": self.rows[0],
            "current_rows": self.rows[1],
        }
        if self.method == "pca_reconstruction":
            data.update(lower_threshold=self.lower_threshold, components=self.components)
        return data


def check_multivariate(method: Any, threshold: Any, n_columns: int | None = None) -> tuple[str | None, float | None]:
    """The rendered ``multivariate_method`` / ``multivariate_threshold``, or a clear error naming them."""
    if method is None or method == "":
        if threshold not in (None, ""):
            raise InvalidInputError("multivariate_threshold is set but multivariate_method is not; set both or neither.")
        return None, None
    if method not in MULTIVARIATE_METHODS:
        raise InvalidInputError(
            f"multivariate_method must be one of {', '.join(repr(m) for m in MULTIVARIATE_METHODS)}, got {method!r}"
        )
    value = None
    if threshold not in (None, ""):
        try:
            value = float(threshold)
        except (TypeError, ValueError):
            raise InvalidInputError(f"multivariate_threshold must be a number, got {threshold!r}") from None
        if method == "domain_classifier" and not 0.5 <= value < 1.0:
            raise InvalidInputError(f"multivariate_threshold is a ROC AUC in [0.5, 1) for domain_classifier, got {value}")
        if method == "pca_reconstruction" and value <= 0:
            raise InvalidInputError(f"multivariate_threshold is a reconstruction error > 0, got {value}")
    if n_columns is not None and n_columns < 2:
        raise InvalidInputError(
            f"multivariate_method={method!r} tests how columns vary together and needs at least 2 drift-tested "
            f"columns, got {n_columns}; drop multivariate_method or add columns."
        )
    return str(method), value


def _sklearn() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "multivariate_method needs scikit-learn: pip install 'airflow-mlmonitor[multivariate]'"
        ) from None


def _encode(frame: pd.DataFrame, column_types: Mapping[str, ColumnType], levels: Mapping[str, list[str]]) -> np.ndarray:
    """Numerical columns as floats, categorical ones as codes into ``levels`` (other = len(levels))."""
    import pandas as pd

    columns = []
    for name, kind in column_types.items():
        if kind == "numerical":
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
            values[~np.isfinite(values)] = np.nan
        else:
            series = frame[name]
            codes = pd.Categorical(series.astype(str), categories=levels[name]).codes.astype(float)
            codes[codes < 0] = len(levels[name])  # unseen -> "other"
            codes[series.isna().to_numpy()] = np.nan
            values = codes
        columns.append(values)
    return np.column_stack(columns)


def _levels(reference: pd.DataFrame, column_types: Mapping[str, ColumnType]) -> dict[str, list[str]]:
    return {
        name: [str(v) for v in reference[name].dropna().astype(str).value_counts().index[:TOP_CATEGORIES]]
        for name, kind in column_types.items()
        if kind == "categorical"
    }


def domain_classifier(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    column_types: Mapping[str, ColumnType],
    threshold: float | None = None,
    *,
    seed: int = SEED,
) -> MultivariateDrift:
    """Cross-validated ROC AUC of a classifier telling current rows from reference rows."""
    _sklearn()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    threshold = DEFAULT_AUC_THRESHOLD if threshold is None else threshold
    levels = _levels(reference, column_types)
    features = np.vstack([_encode(reference, column_types, levels), _encode(current, column_types, levels)])
    target = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    model = HistGradientBoostingClassifier(
        max_iter=100,
        categorical_features=np.array([kind == "categorical" for kind in column_types.values()]),
        early_stopping=False,
        random_state=seed,
    )
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):  # OpenMP threads on a busy worker are many times slower, not faster
        auc = float(np.mean(cross_val_score(model, features, target, cv=folds, scoring="roc_auc")))
    return MultivariateDrift("domain_classifier", auc, threshold, auc > threshold, (len(reference), len(current)))


def _pca_matrix(frame: pd.DataFrame, column_types: Mapping[str, ColumnType], levels: Mapping[str, list[str]]) -> np.ndarray:
    """Numerical columns plus one-hot categorical columns (missing categorical: all zeros)."""
    encoded = _encode(frame, column_types, levels)
    blocks = []
    for i, (name, kind) in enumerate(column_types.items()):
        if kind == "numerical":
            blocks.append(encoded[:, [i]])
        else:
            blocks.append(encoded[:, [i]] == np.arange(len(levels[name]) + 1)[None, :])
    return np.hstack(blocks).astype(float)


def pca_reconstruction(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    column_types: Mapping[str, ColumnType],
    threshold: float | None = None,
    *,
    seed: int = SEED,
) -> MultivariateDrift:
    """Mean PCA reconstruction error of the current rows against the reference's bootstrap band."""
    _sklearn()
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    levels = _levels(reference, column_types)
    ref, cur = _pca_matrix(reference, column_types, levels), _pca_matrix(current, column_types, levels)
    order = rng.permutation(len(ref))
    fit, held_out = ref[order[: len(ref) // 2]], ref[order[len(ref) // 2 :]]
    mean = np.nanmean(fit, axis=0)
    scale = np.nanstd(fit, axis=0)
    scale[~(scale > 0)] = 1.0

    def standardise(values: np.ndarray) -> np.ndarray:
        values = np.where(np.isnan(values), mean, values)
        return (values - mean) / scale

    pca = PCA(n_components=VARIANCE_SHARE, svd_solver="full", random_state=seed).fit(standardise(fit))

    def errors(values: np.ndarray) -> np.ndarray:
        z = standardise(values)
        return np.linalg.norm(z - pca.inverse_transform(pca.transform(z)), axis=1)

    ref_errors, cur_errors = errors(held_out), errors(cur)
    means = np.array([ref_errors[rng.integers(0, len(ref_errors), len(cur_errors))].mean() for _ in range(BOOTSTRAPS)])
    # the band covers the sampling error of both means: the current one (bootstrap) and the held-out one
    centre = float(ref_errors.mean())
    spread = float(np.sqrt(means.var() + ref_errors.var() / len(ref_errors)))
    lower, upper = centre - BAND_SIGMAS * spread, centre + BAND_SIGMAS * spread
    if threshold is not None:
        lower, upper = float("-inf"), threshold
    score = float(cur_errors.mean())
    return MultivariateDrift(
        "pca_reconstruction",
        score,
        upper,
        bool(score > upper or score < lower),
        (len(reference), len(current)),
        lower_threshold=None if threshold is not None else lower,
        components=int(pca.n_components_),
    )


def multivariate_drift(
    method: str,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    column_types: Mapping[str, ColumnType],
    threshold: float | None = None,
    *,
    seed: int = SEED,
) -> MultivariateDrift:
    """Run ``method`` on (already sampled) frames holding the ``column_types`` columns."""
    check_multivariate(method, threshold, len(column_types))
    run = domain_classifier if method == "domain_classifier" else pca_reconstruction
    return run(reference, current, column_types, threshold, seed=seed)
