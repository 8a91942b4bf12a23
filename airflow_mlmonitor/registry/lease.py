"""A per-model lease that lives in the MLflow registry itself (the one thing two Airflow
installations share), so alias moves on one model happen one at a time.

MLflow has no compare-and-set on aliases, but creating a registered model whose name is taken
fails atomically (``RESOURCE_ALREADY_EXISTS``). The lease is such a model:
``mlmonitor-lease--<model>--<generation>``, created with the tags ``mlmonitor.lease.owner`` and
``mlmonitor.lease.expires_at`` (epoch seconds) in the same request. Protocol:

1. list the model's lease generations; the **holder** is the creator of the highest one;
2. none, or the highest is expired: create generation ``highest + 1``. Only one creator can win
   (a second takeover of the same expired lease fails on the name). Then list again: a higher
   generation than ours means our view was stale; we delete ours and start over;
3. the highest is someone else's and not expired: wait (capped exponential backoff) up to
   ``wait`` seconds, then :class:`LeaseBusyError`;
4. before every write the holder checks it still holds the highest generation with at least
   ``margin`` seconds left, else :class:`LostRaceError` (a paused holder whose lease was taken
   over stops instead of writing);
5. release deletes our generation, and expired lower ones (a crashed holder's leftovers).

A holder killed mid-move leaves its generation until it expires; the next mover then takes over
with the next generation and re-reads the registry before moving. Expiry is compared with the
reader's clock: hosts' clocks must agree within a small part of ``ttl``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

from airflow_mlmonitor.registry.errors import LeaseBusyError, LostRaceError
from airflow_mlmonitor.registry.refs import error_code, translate_errors

PREFIX = "mlmonitor-lease--"
OWNER_TAG = "mlmonitor.lease.owner"
EXPIRES_TAG = "mlmonitor.lease.expires_at"
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class LeaseConfig:
    """``ttl``: seconds a lease is valid (longer than any move); ``wait``: how long a mover waits
    for a busy lease; ``margin``: a holder with less than this left stops before writing."""

    ttl: float = 120.0
    wait: float = 60.0
    margin: float = 5.0

    def __post_init__(self) -> None:
        if not (self.ttl > 0 and self.wait >= 0 and 0 <= self.margin < self.ttl):
            raise ValueError(f"lease ttl must be > 0, wait >= 0 and 0 <= margin < ttl, got {self}")


def lease_base(model_name: str) -> str:
    return f"{PREFIX}{model_name}--"


def is_lease_name(name: str) -> bool:
    return name.startswith(PREFIX)


def make_owner(key: str = "") -> str:
    return f"{key}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """Context manager: ``with Lease(client, "churn", owner): ...`` holds the lease of ``churn``."""

    def __init__(self, client: Any, model_name: str, owner: str, config: LeaseConfig | None = None, *,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 logger: Any = None) -> None:
        self.client = client
        self.model_name = model_name
        self.owner = owner
        self.config = config or LeaseConfig()
        self.clock = clock
        self.sleep = sleep
        self.log = logger or log
        self.generation: int | None = None
        self.expires_at = 0.0

    # -- reading -------------------------------------------------------------------------------
    def generations(self) -> dict[int, dict[str, str]]:
        """Every lease generation of the model: ``{generation: tags}``."""
        base = lease_base(self.model_name)
        pattern = base.replace("'", "\\'") + "%"
        found: dict[int, dict[str, str]] = {}
        token = None
        with translate_errors(f"the registry lease of {self.model_name!r}"):
            while True:
                page = self.client.search_registered_models(f"name LIKE '{pattern}'", max_results=1000,
                                                            page_token=token)
                for model in page:
                    suffix = model.name[len(base):] if model.name.startswith(base) else ""
                    if suffix.isdigit():
                        found[int(suffix)] = dict(model.tags or {})
                token = getattr(page, "token", None)
                if not token:
                    return found

    def _expired(self, tags: dict[str, str]) -> bool:
        try:
            return float(tags.get(EXPIRES_TAG, "0")) <= self.clock()
        except ValueError:
            return True

    # -- the protocol --------------------------------------------------------------------------
    def acquire(self) -> Lease:
        deadline = self.clock() + self.config.wait
        delay = 0.1
        while True:
            gens = self.generations()
            top = max(gens) if gens else -1
            holder = gens.get(top, {})
            if top >= 0 and holder.get(OWNER_TAG) == self.owner:
                return self._held(top, holder)
            if top < 0 or self._expired(holder):
                if top >= 0:
                    self.log.warning("Registry lease of %s held by %s expired: taking it over", self.model_name,
                                     holder.get(OWNER_TAG, "?"))
                if self._create(top + 1) and self._still_top(top + 1):
                    return self
                continue
            if self.clock() + delay > deadline:
                raise LeaseBusyError(
                    f"registered model {self.model_name!r} is being changed by {holder.get(OWNER_TAG, '?')} "
                    f"(registry lease generation {top}); waited {self.config.wait:.0f}s. Nothing was changed; "
                    "retry later."
                )
            self.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _held(self, generation: int, tags: dict[str, str]) -> Lease:
        self.generation = generation
        self.expires_at = float(tags.get(EXPIRES_TAG, "0") or 0)
        return self

    def _create(self, generation: int) -> bool:
        expires = self.clock() + self.config.ttl
        tags = {OWNER_TAG: self.owner, EXPIRES_TAG: f"{expires:.3f}", "mlmonitor.lease.model": self.model_name}
        name = f"{lease_base(self.model_name)}{generation}"
        try:
            with translate_errors(f"the registry lease of {self.model_name!r}"):
                self.client.create_registered_model(
                    name, tags=tags, description=f"airflow-mlmonitor lease on {self.model_name!r}: held by "
                    f"{self.owner}; deleted on release")
        except Exception as err:
            if "ALREADY_EXISTS" in error_code(err) or "ALREADY_EXISTS" in error_code(err.__cause__ or err):
                return False  # another mover won this generation (or our own create was retried: re-read)
            raise
        self.generation, self.expires_at = generation, expires
        return True

    def _still_top(self, generation: int) -> bool:
        if max(self.generations(), default=generation) > generation:
            self._delete(generation)  # our view was stale: someone holds a newer generation
            self.generation = None
            return False
        return True

    def check(self) -> None:
        """Raise :class:`LostRaceError` unless we still hold the lease with ``margin`` seconds left."""
        gens = self.generations()
        top = max(gens) if gens else None
        left = self.expires_at - self.clock()
        if self.generation is None or top != self.generation or gens[top].get(OWNER_TAG) != self.owner:
            raise LostRaceError(
                f"the registry lease of {self.model_name!r} was taken over (expired after "
                f"{self.config.ttl:.0f}s) before this move wrote anything more; stopping"
            )
        if left < self.config.margin:
            raise LostRaceError(
                f"the registry lease of {self.model_name!r} has {left:.1f}s left (ttl {self.config.ttl:.0f}s); "
                "stopping before the next write"
            )

    def release(self) -> None:
        if self.generation is None:
            return
        mine, self.generation = self.generation, None
        self._delete(mine)
        try:
            for gen, tags in self.generations().items():
                if gen < mine and self._expired(tags):
                    self._delete(gen)
        except Exception as err:  # cleanup of crashed holders' leftovers is best effort
            self.log.info("Could not clean up expired registry leases of %s: %s", self.model_name, err)

    def _delete(self, generation: int) -> None:
        try:
            self.client.delete_registered_model(f"{lease_base(self.model_name)}{generation}")
        except Exception as err:
            self.log.info("Registry lease %s of %s not deleted: %s", generation, self.model_name, err)

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
