"""Promotion and rollback on MLflow registry aliases, with an audit trail kept in the registry.

Airflow-free: takes an injected ``MlflowClient`` and an :class:`Audit` (who acts). State lives in
the registry itself, so it outlives workers:

- registered-model tag ``mlmonitor.history.<alias>``: JSON list of the versions promoted to
  ``alias``, oldest first (the promotion history rollback walks back through);
- version tags ``mlmonitor.promoted_at|promoted_from|dag_id|run_id`` on every promoted version;
- version tags ``mlmonitor.rolled_back_at|rollback_reason|rolled_back_by|rolled_back_to`` on a
  rolled-back version. ``rolled_back_by`` (``<dag_id>/<run_id>``) makes a retry of the same DAG
  run a no-op.

Races: MLflow has no compare-and-set on aliases. Two rollbacks racing on one model both read the
same holder and history, pick the same target and write the same alias: the outcome is one step
back, not two, and the alias never lands on a version that was rolled back before they started.
A rollback that reads after another finished walks back one more step (two DAG runs, two
rollbacks). After writing, the alias is read back and a concurrent change is logged in the result.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from airflow_mlmonitor.registry.errors import ModelNotFoundError, NothingToRollBackError
from airflow_mlmonitor.registry.refs import alias_version, get_registered_model, translate_errors

TAG = "mlmonitor."
HISTORY_TAG = TAG + "history."
MAX_HISTORY = 100
RETRY_SCAN = 20  # how many recent holders a retry inspects for this DAG run's earlier rollback


@dataclasses.dataclass(frozen=True)
class Audit:
    """Who changes the registry: lands in the audit tags."""

    dag_id: str = ""
    run_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.dag_id}/{self.run_id}"


@dataclasses.dataclass(frozen=True)
class Promotion:
    model_name: str
    alias: str
    version: str
    previous_version: str | None
    changed: bool  # False when the version already held the alias

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Rollback:
    model_name: str
    alias: str
    from_version: str
    to_version: str
    already_done: bool  # True when this DAG run had already rolled back (a retry)
    concurrent_change: str | None = None  # the alias holder read back, when another writer moved it

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def read_history(client: Any, model_name: str, alias: str, model: Any = None) -> list[str]:
    """The promotion history of ``alias``, oldest first."""
    model = model if model is not None else get_registered_model(client, model_name)
    tags = dict(getattr(model, "tags", None) or {})
    try:
        history = json.loads(tags.get(HISTORY_TAG + alias, "[]"))
    except ValueError:
        return []
    return [str(v) for v in history] if isinstance(history, list) else []


def _version_tags(client: Any, model_name: str, version: str) -> dict[str, str] | None:
    """A version's tags, or None when the version was deleted."""
    try:
        with translate_errors(f"version {version} of registered model {model_name!r}"):
            return dict(client.get_model_version(model_name, version).tags or {})
    except ModelNotFoundError:
        return None


def promote(
    client: Any,
    model_name: str,
    version: str,
    *,
    alias: str = "champion",
    previous_alias: str | None = "previous_champion",
    audit: Audit = Audit(),
) -> Promotion:
    """Move ``alias`` to ``version`` and ``previous_alias`` to the former holder; tag and record it."""
    version = str(version)
    if _version_tags(client, model_name, version) is None:
        raise ModelNotFoundError(f"registered model {model_name!r} has no version {version}; nothing was changed")
    model = get_registered_model(client, model_name)
    current = alias_version(client, model_name, alias, model)
    if current == version:
        return Promotion(model_name, alias, version, None, changed=False)
    what = f"registered model {model_name!r}"
    with translate_errors(what):
        if current is not None and previous_alias:
            client.set_registered_model_alias(model_name, previous_alias, current)
        client.set_registered_model_alias(model_name, alias, version)
        tags = {
            "promoted_at": _now(),
            "promoted_from": current or "",
            "promoted_to_alias": alias,
            "dag_id": audit.dag_id,
            "run_id": audit.run_id,
        }
        for key, value in tags.items():
            client.set_model_version_tag(model_name, version, TAG + key, value)
        history = read_history(client, model_name, alias, model)
        if current is not None and (not history or history[-1] != current):
            history.append(current)  # the alias was set by hand before: keep it reachable
        history.append(version)
        client.set_registered_model_tag(model_name, HISTORY_TAG + alias, json.dumps(history[-MAX_HISTORY:]))
    return Promotion(model_name, alias, version, current, changed=True)


def _rollback_target(client: Any, model_name: str, alias: str, current: str, history: list[str]) -> str | None:
    """The most recent earlier holder of ``alias`` that still exists and was not rolled back."""
    if current in history:
        earlier = history[: len(history) - 1 - history[::-1].index(current)]
    else:
        earlier = list(history)
    seen: set[str] = {current}
    for version in reversed(earlier):
        if version in seen:
            continue
        seen.add(version)
        tags = _version_tags(client, model_name, version)
        if tags is not None and TAG + "rolled_back_at" not in tags:
            return version
    return None


def _previous_rollback(client: Any, model_name: str, alias: str, versions: list[str], audit: Audit) -> tuple[str, str] | None:
    """``(from, to)`` of a rollback of ``alias`` this DAG run already did, if any."""
    if not audit.dag_id and not audit.run_id:
        return None
    for version in dict.fromkeys(versions):
        tags = _version_tags(client, model_name, version) or {}
        if tags.get(TAG + "rolled_back_by") == audit.key and tags.get(TAG + "rolled_back_alias") == alias:
            return version, tags.get(TAG + "rolled_back_to", "")
    return None


def rollback(
    client: Any,
    model_name: str,
    *,
    alias: str = "champion",
    to_version: str | None = None,
    reason: str = "",
    audit: Audit = Audit(),
) -> Rollback:
    """Move ``alias`` back to the previous good holder (or ``to_version``) and tag the bad version.

    Nothing is written before the target is known: with nowhere to go it raises
    :class:`NothingToRollBackError` and the registry is unchanged.
    """
    model = get_registered_model(client, model_name)
    current = alias_version(client, model_name, alias, model)
    history = read_history(client, model_name, alias, model)
    recent = [*([current] if current else []), *reversed(history[-RETRY_SCAN:])]
    done = _previous_rollback(client, model_name, alias, recent, audit)
    if done is not None:
        bad, target = done
        if current == bad and target:  # a retry after a crash between tagging and moving the alias
            with translate_errors(f"registered model {model_name!r}"):
                client.set_registered_model_alias(model_name, alias, target)
        return Rollback(model_name, alias, bad, target, already_done=True)
    if current is None:
        raise NothingToRollBackError(f"registered model {model_name!r} has no alias {alias!r}: nothing to roll back")
    if to_version is not None:
        target = str(to_version)
        if _version_tags(client, model_name, target) is None:
            raise ModelNotFoundError(f"registered model {model_name!r} has no version {target}; nothing was changed")
        if target == current:
            raise NothingToRollBackError(f"{model_name} version {target} already holds alias {alias!r}")
    else:
        found = _rollback_target(client, model_name, alias, current, history)
        if found is None:
            raise NothingToRollBackError(
                f"registered model {model_name!r}: alias {alias!r} is on version {current} and its promotion "
                f"history {history or '(empty)'} has no earlier version that exists and was not rolled back; "
                "nothing was changed. Pass to_version to choose one."
            )
        target = found
    with translate_errors(f"registered model {model_name!r}"):
        tags = {
            "rolled_back_at": _now(),
            "rollback_reason": reason or "rolled back",
            "rolled_back_by": audit.key,
            "rolled_back_alias": alias,
            "rolled_back_to": target,
        }
        for key, value in tags.items():
            client.set_model_version_tag(model_name, current, TAG + key, value[:5000])
        client.set_registered_model_alias(model_name, alias, target)
    after = alias_version(client, model_name, alias)
    return Rollback(model_name, alias, current, target, False, None if after == target else after)
