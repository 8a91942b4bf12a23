"""Model references (``"3"``, ``"@champion"``, ``"latest"``, ``"run:<id>"``) and their resolution.

Airflow-free: every function takes an injected ``MlflowClient`` (or anything with the same
methods). MLflow errors are translated into the typed errors of :mod:`.errors`, naming what is
missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.registry.errors import (
    ModelNotFoundError,
    RegistryError,
    RegistryUnavailableError,
    RolledBackError,
)

RefKind = Literal["version", "alias", "latest", "run"]
ROLLED_BACK_TAG = "mlmonitor.rolled_back_at"
_NOT_FOUND_CODES = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "ENDPOINT_NOT_FOUND"}


@dataclasses.dataclass(frozen=True)
class Reference:
    """A parsed model reference."""

    kind: RefKind
    value: str = ""

    def __str__(self) -> str:
        return {"version": self.value, "alias": f"@{self.value}", "latest": "latest", "run": f"run:{self.value}"}[
            self.kind
        ]


@dataclasses.dataclass(frozen=True)
class ResolvedModel:
    """What a reference points to. ``version`` is None for a run that was never registered."""

    model_name: str
    version: str | None
    run_id: str | None
    metrics: Mapping[str, float] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{self.model_name} version {self.version}" if self.version else f"run {self.run_id}"

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "run_id": self.run_id}


def parse_reference(ref: Any) -> Reference:
    """Parse ``"3"`` / ``"@alias"`` / ``"latest"`` / ``"run:<id>"``; raise InvalidInputError otherwise."""
    text = str(ref).strip() if isinstance(ref, (str, int)) and not isinstance(ref, bool) else ""
    if text.isdigit() and int(text) > 0:
        return Reference("version", str(int(text)))
    if text.startswith("@") and len(text) > 1:
        return Reference("alias", text[1:])
    if text.lower() == "latest":
        return Reference("latest")
    if text.startswith("run:") and len(text) > 4:
        return Reference("run", text[4:])
    raise InvalidInputError(
        f"model reference {ref!r} is not valid: use a version number ('3'), an alias ('@champion'), "
        "'latest' or 'run:<run_id>'"
    )


def error_code(err: BaseException) -> str:
    return str(getattr(err, "error_code", "") or "")


@contextlib.contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn MLflow/transport errors into :class:`ModelNotFoundError` / :class:`RegistryUnavailableError`."""
    try:
        yield
    except RegistryError:
        raise
    except Exception as err:
        if type(err).__name__ not in {"MlflowException", "RestException"} and not error_code(err):
            if isinstance(err, (OSError, TimeoutError)):
                raise RegistryUnavailableError(f"MLflow is unreachable while reading {what}: {err}") from err
            raise
        text = str(err)
        first = text.splitlines()[0] if text else type(err).__name__
        if error_code(err) in _NOT_FOUND_CODES:
            raise ModelNotFoundError(f"{what} does not exist in the MLflow registry ({first})") from err
        if "API request to" in text or error_code(err) in {"TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR"}:
            raise RegistryUnavailableError(
                f"MLflow did not answer while reading {what}: {first[:500]}. Check that the "
                "server is up and the connection's host/port; the request timeout is the connection's "
                "extra 'timeout'."
            ) from err
        if "not found" in text.lower() or "does not exist" in text.lower():
            raise ModelNotFoundError(f"{what} does not exist in the MLflow registry ({first})") from err
        raise RegistryError(f"MLflow refused the request for {what}: {first}") from err


def run_metrics(client: Any, run_id: str) -> dict[str, float]:
    """The latest value of every metric of a run (NaN kept: comparison rejects it by name)."""
    with translate_errors(f"run {run_id!r}"):
        run = client.get_run(run_id)
    return {k: float(v) for k, v in dict(run.data.metrics).items()}


def all_versions(client: Any, model_name: str) -> list[Any]:
    """Every version of a registered model, newest first."""
    escaped = model_name.replace("'", "\\'")
    versions: list[Any] = []
    token = None
    with translate_errors(f"versions of registered model {model_name!r}"):
        while True:
            page = client.search_model_versions(f"name = '{escaped}'", max_results=1000, page_token=token)
            versions.extend(page)
            token = getattr(page, "token", None)
            if not token:
                break
    return sorted(versions, key=lambda v: int(v.version), reverse=True)


def did_you_mean(name: str, choices: Any, what: str) -> str:
    """``"; did you mean 'x'? Existing <what>: a, b"`` (or that there are none)."""
    names = sorted({str(c) for c in choices})
    if not names:
        return f"; it has no {what} yet"
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    shown = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
    return (f"; did you mean {close[0]!r}?" if close else "") + f" Existing {what}: {shown}"


def _model_names(client: Any) -> list[str]:
    from airflow_mlmonitor.registry.lease import is_lease_name

    try:
        page = client.search_registered_models(max_results=1000)
    except Exception:
        return []
    return [m.name for m in page if not is_lease_name(m.name)]


def get_registered_model(client: Any, model_name: str) -> Any:
    try:
        with translate_errors(f"registered model {model_name!r}"):
            return client.get_registered_model(model_name)
    except ModelNotFoundError as err:
        hint = did_you_mean(model_name, _model_names(client), "registered models")
        raise ModelNotFoundError(f"registered model {model_name!r} does not exist in the MLflow registry{hint}") from err


def alias_version(client: Any, model_name: str, alias: str, model: Any = None) -> str | None:
    """The version an alias points to, or None when the model has no such alias."""
    model = model if model is not None else get_registered_model(client, model_name)
    version = dict(getattr(model, "aliases", None) or {}).get(alias)
    return None if version is None else str(version)


def is_rolled_back(version: Any) -> bool:
    return ROLLED_BACK_TAG in dict(getattr(version, "tags", None) or {})


def _version_for_run(client: Any, model_name: str, run_id: str) -> str | None:
    matching = [v for v in all_versions(client, model_name) if v.run_id == run_id]
    return str(matching[0].version) if matching else None


def locate(client: Any, model_name: str, ref: Reference | str, *,
           include_rolled_back: bool = False) -> tuple[str | None, str | None]:
    """``(version, run_id)`` of a reference without reading metrics. Raises ModelNotFoundError.

    Versions tagged ``mlmonitor.rolled_back_at`` are skipped by ``"latest"`` and refused for a
    version number or an alias (:class:`RolledBackError`), unless ``include_rolled_back``."""
    ref = ref if isinstance(ref, Reference) else parse_reference(ref)
    model = get_registered_model(client, model_name)  # a clear error for an unknown model first
    if ref.kind == "run":
        with translate_errors(f"run {ref.value!r}"):
            client.get_run(ref.value)
        return _version_for_run(client, model_name, ref.value), ref.value
    if ref.kind == "alias":
        version = alias_version(client, model_name, ref.value, model)
        if version is None:
            aliases = dict(getattr(model, "aliases", None) or {})
            raise ModelNotFoundError(f"registered model {model_name!r} has no alias {ref.value!r}"
                                     + did_you_mean(ref.value, aliases, "aliases"))
    elif ref.kind == "latest":
        versions = all_versions(client, model_name)
        usable = versions if include_rolled_back else [v for v in versions if not is_rolled_back(v)]
        if not usable:
            raise ModelNotFoundError(f"registered model {model_name!r} has no versions yet" if not versions else
                                     f"every version of registered model {model_name!r} was rolled back "
                                     "(include_rolled_back=True to use them)")
        version = str(usable[0].version)
    else:
        version = ref.value
    with translate_errors(f"version {version} of registered model {model_name!r}"):
        mv = client.get_model_version(model_name, version)
    if not include_rolled_back and ref.kind in ("version", "alias") and is_rolled_back(mv):
        tags = dict(mv.tags or {})
        raise RolledBackError(
            f"{model_name} version {mv.version} ({ref}) was rolled back at {tags.get(ROLLED_BACK_TAG)} "
            f"({tags.get('mlmonitor.rollback_reason', 'no reason given')}); pass include_rolled_back=True to use it"
        )
    return str(mv.version), mv.run_id or None


def resolve(client: Any, model_name: str, ref: Reference | str, *, include_rolled_back: bool = False) -> ResolvedModel:
    """Resolve a reference to a version/run and read its source run's metrics."""
    version, run_id = locate(client, model_name, ref, include_rolled_back=include_rolled_back)
    if not run_id:
        raise ModelNotFoundError(
            f"{model_name} version {version} has no source run, so it has no metrics to compare; "
            "register versions from a run (create_model_version(..., run_id=...))"
        )
    return ResolvedModel(model_name, version, run_id, run_metrics(client, run_id))


def newest_version_after(client: Any, model_name: str, newer_than: str | None, *, missing_ok: bool = True,
                         include_rolled_back: bool = False) -> ResolvedModel | None:
    """The newest READY version strictly newer than ``newer_than`` (any version when it resolves to
    nothing or is None); None while there is none. Rolled-back versions never count unless
    ``include_rolled_back``. A model that does not exist is None with ``missing_ok``, else
    :class:`ModelNotFoundError` (with the names that do exist)."""
    try:
        get_registered_model(client, model_name)
    except ModelNotFoundError:
        if missing_ok:
            return None
        raise
    floor = 0
    if newer_than:
        try:
            version, _ = locate(client, model_name, newer_than, include_rolled_back=True)
            floor = int(version) if version else 0
        except ModelNotFoundError:
            floor = 0
    versions = [v for v in all_versions(client, model_name) if int(v.version) > floor]
    ready = [v for v in versions if str(getattr(v, "status", "READY")).upper().endswith("READY")
             and (include_rolled_back or not is_rolled_back(v))]
    if not ready:
        return None
    return ResolvedModel(model_name, str(ready[0].version), ready[0].run_id or None)
