"""Promotion and rollback on MLflow registry aliases: compare-and-set under a per-model lease,
with an audit trail kept in the registry.

Airflow-free: takes an injected ``MlflowClient`` and an :class:`Audit` (who acts). State lives in
the registry itself, so it outlives workers and is shared by every Airflow installation:

- registered-model tag ``mlmonitor.history.<alias>``: JSON list of the versions promoted to
  ``alias``, oldest first (the promotion history rollback walks back through);
- version tags ``mlmonitor.promoted_at|promoted_from|promoted_to_alias|dag_id|run_id`` on every
  promoted version; ``dag_id``/``run_id`` make a retry of the same DAG run a no-op;
- version tags ``mlmonitor.rolled_back_at|rollback_reason|rolled_back_by|rolled_back_alias|
  rolled_back_to`` on a rolled-back version; ``rolled_back_by`` (``<dag_id>/<run_id>``) makes a
  retry of the same DAG run a no-op;
- registered-model tag ``mlmonitor.rollback_intent.<alias>``: JSON ``{dag_id/run_id: version}``,
  the holder each DAG run's rollback was decided on, so a retry never rolls back a newer holder.

Every move is compare-and-set: the caller decides on a state (the alias holder it read, or the one
given as ``expected``); under the model's :class:`~airflow_mlmonitor.registry.lease.Lease` the move
re-reads the registry, checks the alias is still where it was decided, moves, writes the history,
reads the aliases back and only then releases. A move that lost a race raises
:class:`LostRaceError` and changes nothing; it never reports success.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.registry.errors import LostRaceError, ModelNotFoundError, NothingToRollBackError
from airflow_mlmonitor.registry.lease import Lease, LeaseConfig, make_owner
from airflow_mlmonitor.registry.refs import alias_version, get_registered_model, translate_errors

TAG = "mlmonitor."
HISTORY_TAG = TAG + "history."
MAX_HISTORY = 100
RETRY_SCAN = 20  # how many recent holders a retry inspects for this DAG run's earlier rollback
INTENT_TAG = TAG + "rollback_intent."
MAX_INTENTS = 50
DEFAULT_LEASE = LeaseConfig()
READ = "<read the registry>"  # ``expected`` default: decide on the holder read when the call starts


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
    changed: bool  # False when the version already held the alias, or this DAG run promoted it before
    already_done: bool = False  # True when this DAG run had already promoted it (a retry)

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
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


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


def _who(client: Any, model_name: str, version: str | None, decided: str | None = None) -> str:
    """Which DAG run moved the alias off ``decided`` onto ``version``, from the audit tags (for
    lost-race messages): the rollback of ``decided`` if there was one, else the promoter of ``version``."""
    gone = _version_tags(client, model_name, decided) if decided else None
    if gone and gone.get(TAG + "rolled_back_by"):
        return f"the rollback by DAG run {gone[TAG + 'rolled_back_by']}"
    tags = _version_tags(client, model_name, version) if version else None
    if not tags:
        return "someone"
    if tags.get(TAG + "dag_id"):
        return f"DAG run {tags[TAG + 'dag_id']}/{tags.get(TAG + 'run_id', '')}"
    return "a writer outside airflow-mlmonitor"


def _lost(model_name: str, alias: str, decided: str | None, current: str | None, move: str, who: str) -> LostRaceError:
    return LostRaceError(
        f"registered model {model_name!r}: @{alias} is on version {current or '(unset)'}, not on "
        f"{decided or '(unset)'} as when this {move} was decided ({who} moved it meanwhile); this {move} lost "
        "the race and changed nothing"
    )


def promoted_by(client: Any, model_name: str, version: str, alias: str, audit: Audit) -> Promotion | None:
    """The promotion of ``version`` to ``alias`` this DAG run already did, if any (for retries)."""
    if not (audit.dag_id or audit.run_id):
        return None
    tags = _version_tags(client, model_name, version) or {}
    if (tags.get(TAG + "dag_id"), tags.get(TAG + "run_id"), tags.get(TAG + "promoted_to_alias")) != (
            audit.dag_id, audit.run_id, alias):
        return None
    return Promotion(model_name, alias, version, tags.get(TAG + "promoted_from") or None, changed=False,
                     already_done=True)


def promote(
    client: Any,
    model_name: str,
    version: str,
    *,
    alias: str = "champion",
    previous_alias: str | None = "previous_champion",
    audit: Audit = Audit(),
    expected: Any = READ,
    lease: LeaseConfig = DEFAULT_LEASE,
) -> Promotion:
    """Move ``alias`` to ``version`` and ``previous_alias`` to the former holder; tag and record it.

    ``expected``: the holder of ``alias`` the promotion was decided on (None: no holder); by
    default the holder read when the call starts. Under the lease the holder must still be that
    one, else :class:`LostRaceError` and nothing changes. A retry in the same DAG run returns the
    earlier promotion with ``already_done=True``.
    """
    version = str(version)
    if previous_alias and previous_alias == alias:
        raise InvalidInputError(f"previous_alias must differ from alias (both {alias!r}); use None to keep no previous")
    if _version_tags(client, model_name, version) is None:
        raise ModelNotFoundError(f"registered model {model_name!r} has no version {version}; nothing was changed")
    done = promoted_by(client, model_name, version, alias, audit)
    if done is not None:
        return done
    decided = alias_version(client, model_name, alias) if expected is READ else (
        None if expected in (None, "") else str(expected))
    with Lease(client, model_name, make_owner(audit.key), lease) as held:
        done = promoted_by(client, model_name, version, alias, audit)
        if done is not None:
            return done
        model = get_registered_model(client, model_name)
        current = alias_version(client, model_name, alias, model)
        if current == version:
            return Promotion(model_name, alias, version, None, changed=False)
        if current != decided:
            raise _lost(model_name, alias, decided, current, "promotion", _who(client, model_name, current, decided))
        held.check()
        _move_for_promotion(client, model_name, version, current, alias, previous_alias, audit, model)
        after = alias_version(client, model_name, alias)
        prev_after = alias_version(client, model_name, previous_alias) if previous_alias and current else current
        if after != version or prev_after != current:
            raise LostRaceError(
                f"registered model {model_name!r}: after promoting version {version}, @{alias} reads {after} and "
                f"@{previous_alias} reads {prev_after}: a writer outside the registry lease moved them; check the "
                "registry by hand"
            )
    return Promotion(model_name, alias, version, current, changed=True)


def _move_for_promotion(client: Any, model_name: str, version: str, current: str | None, alias: str,
                        previous_alias: str | None, audit: Audit, model: Any) -> None:
    with translate_errors(f"registered model {model_name!r}"):
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


def _intents(model: Any, alias: str) -> dict[str, str]:
    try:
        value = json.loads(dict(getattr(model, "tags", None) or {}).get(INTENT_TAG + alias, "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _decide_rollback(client: Any, model_name: str, alias: str, model: Any, audit: Audit, decided: str | None) -> str | None:
    """The holder this DAG run's rollback is decided on: the one recorded by an earlier try, else
    ``decided`` (recorded now, so a retry after a lost race never rolls back a newer holder)."""
    if not (audit.dag_id or audit.run_id):
        return decided
    intents = _intents(model, alias)
    if audit.key in intents:
        return intents[audit.key] or None
    intents[audit.key] = decided or ""
    kept = dict(list(intents.items())[-MAX_INTENTS:])
    with translate_errors(f"registered model {model_name!r}"):
        client.set_registered_model_tag(model_name, INTENT_TAG + alias, json.dumps(kept))
    return decided


def rollback(
    client: Any,
    model_name: str,
    *,
    alias: str = "champion",
    to_version: str | None = None,
    reason: str = "",
    audit: Audit = Audit(),
    expected: Any = READ,
    lease: LeaseConfig = DEFAULT_LEASE,
    previous_alias: str | None = "previous_champion",
) -> Rollback:
    """Move ``alias`` back to the previous good holder (or ``to_version``) and tag the bad version.

    ``expected``: the holder the rollback was decided on (default: the one read when the call
    starts; a retry in the same DAG run keeps the first try's). If another mover moved the alias
    meanwhile, :class:`LostRaceError` and nothing changes. Nothing is written before the target is
    known: with nowhere to go it raises :class:`NothingToRollBackError` and the aliases are unchanged.
    """
    decided = alias_version(client, model_name, alias) if expected is READ else (
        None if expected in (None, "") else str(expected))
    with Lease(client, model_name, make_owner(audit.key), lease) as held:
        model = get_registered_model(client, model_name)
        current = alias_version(client, model_name, alias, model)
        history = read_history(client, model_name, alias, model)
        recent = [*([current] if current else []), *reversed(history[-RETRY_SCAN:])]
        done = _previous_rollback(client, model_name, alias, recent, audit)
        if done is not None:
            bad, target = done
            if current == bad and target:  # a retry after a crash between tagging and moving the alias
                held.check()
                with translate_errors(f"registered model {model_name!r}"):
                    client.set_registered_model_alias(model_name, alias, target)
            return Rollback(model_name, alias, bad, target, already_done=True)
        if current is None:
            raise NothingToRollBackError(f"registered model {model_name!r} has no alias {alias!r}: nothing to roll back")
        decided = _decide_rollback(client, model_name, alias, model, audit, decided)
        if current != decided:
            raise _lost(model_name, alias, decided, current, "rollback", _who(client, model_name, current, decided))
        target = _choose_target(client, model_name, alias, current, history, to_version)
        held.check()
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
            _follow_previous(client, model_name, alias, previous_alias, target, history)
        after = alias_version(client, model_name, alias)
        if after != target:
            raise LostRaceError(
                f"registered model {model_name!r}: after rolling @{alias} back to {target} it reads {after}: a "
                "writer outside the registry lease moved it; check the registry by hand"
            )
    return Rollback(model_name, alias, current, target, False, None)


def _follow_previous(client: Any, model_name: str, alias: str, previous_alias: str | None, target: str,
                     history: list[str]) -> None:
    """After a rollback to ``target``: ``previous_alias`` on the next earlier good holder, or gone."""
    if not previous_alias or previous_alias == alias:
        return
    earlier = _rollback_target(client, model_name, alias, target, history)
    if earlier is not None:
        client.set_registered_model_alias(model_name, previous_alias, earlier)
    elif alias_version(client, model_name, previous_alias) == target:
        client.delete_registered_model_alias(model_name, previous_alias)


def _choose_target(client: Any, model_name: str, alias: str, current: str, history: list[str],
                   to_version: str | None) -> str:
    if to_version is not None:
        target = str(to_version)
        if _version_tags(client, model_name, target) is None:
            raise ModelNotFoundError(f"registered model {model_name!r} has no version {target}; nothing was changed")
        if target == current:
            raise NothingToRollBackError(f"{model_name} version {target} already holds alias {alias!r}")
        return target
    found = _rollback_target(client, model_name, alias, current, history)
    if found is None:
        raise NothingToRollBackError(
            f"registered model {model_name!r}: alias {alias!r} is on version {current} and its promotion "
            f"history {history or '(empty)'} has no earlier version that exists and was not rolled back; "
            "nothing was changed. Pass to_version to choose one."
        )
    return found
