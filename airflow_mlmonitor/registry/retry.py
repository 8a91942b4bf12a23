"""Capped exponential backoff for transient MLflow faults (refused connections, timeouts, 429/5xx).

Airflow-free and MLflow-free: the REST transport, the sensor and the trigger share one policy.
A transient fault is retried after ``base * 2**n`` seconds (at most ``cap``), while the retries
stay within ``max_retries`` and the total wait within ``budget``; each retry is logged. Permanent
errors (404, 401/403, bad request) are never retried.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from airflow_mlmonitor.registry.errors import RegistryUnavailableError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Backoff:
    """How transient faults are retried: ``base * 2**n`` seconds capped at ``cap``, at most
    ``max_retries`` retries (None: no count limit) and ``budget`` seconds of waiting in total."""

    base: float = 0.5
    cap: float = 10.0
    budget: float = 60.0
    max_retries: int | None = None

    def delays(self) -> Iterator[float]:
        """The waits before each retry, in order; ends when the count or the budget is spent."""
        waited, n = 0.0, 0
        while self.max_retries is None or n < self.max_retries:
            delay = min(self.cap, self.base * 2**n)
            if waited + delay > self.budget:
                return
            waited += delay
            n += 1
            yield delay


def is_transient(err: BaseException) -> bool:
    """A fault that may go away by itself: unreachable server, timeout, 429/5xx."""
    return isinstance(err, RegistryUnavailableError)


def call_with_backoff(
    fn: Callable[[], T], backoff: Backoff, *, what: str, logger: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``fn()``, retrying transient faults per ``backoff``; the last fault is raised when it is spent."""
    logger = logger or log
    delays = backoff.delays()
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as err:
            if not is_transient(err):
                raise
            delay = next(delays, None)
            if delay is None:
                raise
            logger.warning("%s: transient MLflow fault (try %d): %s; retrying in %.1fs", what, attempt, err, delay)
            sleep(delay)
            attempt += 1
