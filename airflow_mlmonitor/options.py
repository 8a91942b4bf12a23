"""Strict options: one validation layer for every check operator. Airflow-free.

Each operator declares its options as data (``option_spec``: :class:`Number`, :class:`Choice`,
:class:`ColumnMap`, :class:`Finite`); the base operator checks the *rendered* values at execute time
(templated values arrive as strings and are converted), and the per-column maps once the data's
columns are known. Every error names the operator, the option and the value, and NaN or infinity
never gets past it (so none reaches a verdict or JSON).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError


@dataclasses.dataclass(frozen=True)
class Number:
    """A finite number within bounds. ``None`` (or ``""`` from a template) is allowed unless ``required``.

    :param minimum: smallest allowed value; ``exclusive_minimum`` makes it a strict bound.
    :param maximum: largest allowed value (inclusive).
    :param integer: the value must be a whole number (returned as ``int``).
    :param meaning: a few words shown in the error (``"a p-value or distance threshold"``).
    """

    name: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    integer: bool = False
    required: bool = False
    meaning: str = ""

    def check(self, value: Any, where: str) -> float | int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise InvalidInputError(f"{where}: {self.name} is required{self._what()}.")
            return None
        number = _to_number(value, self.name, where, self._what())
        if self.integer:
            if number != int(number):
                raise InvalidInputError(f"{where}: {self.name} must be a whole number, got {value!r}.")
            number = int(number)
        too_low = self.minimum is not None and (
            number <= self.minimum if self.exclusive_minimum else number < self.minimum
        )
        too_high = self.maximum is not None and number > self.maximum
        if too_low or too_high:
            raise InvalidInputError(f"{where}: {self.name} must be {self._range()}{self._what()}, got {value!r}.")
        return number

    def _what(self) -> str:
        return f" ({self.meaning})" if self.meaning else ""

    def _range(self) -> str:
        low = None if self.minimum is None else (f"> {self.minimum:g}" if self.exclusive_minimum else f">= {self.minimum:g}")
        high = None if self.maximum is None else f"<= {self.maximum:g}"
        return " and ".join(part for part in (low, high) if part) or "a finite number"


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    name: str
    choices: tuple[str, ...]
    required: bool = True

    def check(self, value: Any, where: str) -> str | None:
        if value is None and not self.required:
            return None
        if value not in self.choices:
            hint = _did_you_mean(value, self.choices)
            raise InvalidInputError(
                f"{where}: {self.name} must be one of {', '.join(map(repr, self.choices))}, got {value!r}.{hint}"
            )
        return str(value)


@dataclasses.dataclass(frozen=True)
class Finite:
    """Any nested structure (dicts, lists) whose numbers must all be finite: no NaN, no infinity."""

    name: str

    def check(self, value: Any, where: str) -> Any:
        bad = list(_non_finite(value, self.name))
        if bad:
            raise InvalidInputError(
                f"{where}: {bad[0][0]} is {bad[0][1]!r}; NaN and infinity are not valid option values "
                "(give a finite number, or leave the option out)."
            )
        return value


@dataclasses.dataclass(frozen=True)
class ColumnMap:
    """A ``{column: value}`` dict; each value checked by ``value`` (when given), each key a column of
    the data (checked by :func:`check_columns` once the columns are known)."""

    name: str
    value: Number | Choice | None = None

    def check(self, value: Any, where: str) -> dict[str, Any] | None:
        if value is None or value == {} or value == "":
            return None
        if not isinstance(value, Mapping):
            raise InvalidInputError(f"{where}: {self.name} must be a dict {{column: value}}, got {value!r}.")
        out = {}
        for column, item in value.items():
            if self.value is not None:
                item = dataclasses.replace(self.value, name=f"{self.name}[{column!r}]").check(item, where)
            out[str(column)] = item
        return out


Option = Number | Choice | Finite | ColumnMap


def check_options(spec: Sequence[Option], values: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """Check and convert every option of ``spec`` found in ``values``; return the converted values."""
    return {option.name: option.check(values.get(option.name), where) for option in spec if option.name in values}


def check_columns(spec: Sequence[Option], values: Mapping[str, Any], columns: Iterable[str], *, where: str) -> None:
    """Every key of every :class:`ColumnMap` option must be one of ``columns``; the error names them all."""
    known = [str(c) for c in columns]
    known_set = set(known)
    for option in spec:
        mapping = values.get(option.name)
        if not isinstance(option, ColumnMap) or not isinstance(mapping, Mapping):
            continue
        unknown = [str(k) for k in mapping if str(k) not in known_set]
        if unknown:
            hints = "".join(_did_you_mean(name, known) for name in unknown)
            raise InvalidInputError(
                f"{where}: {option.name} names column(s) {', '.join(map(repr, unknown))} that are not among the "
                f"data's columns (known: {', '.join(map(repr, known[:20]))}{' ...' if len(known) > 20 else ''}).{hints}"
            )


def _to_number(value: Any, name: str, where: str, what: str) -> float:
    if isinstance(value, bool) or (not isinstance(value, (int, float, str)) and not hasattr(value, "__float__")):
        raise InvalidInputError(f"{where}: {name} must be a number{what}, got {value!r}.")
    try:
        number = float(value)  # templated values arrive as strings
    except (TypeError, ValueError):
        raise InvalidInputError(f"{where}: {name} must be a number{what}, got {value!r}.") from None
    if not math.isfinite(number):
        raise InvalidInputError(
            f"{where}: {name} must be a finite number{what}, got {value!r} (NaN and infinity are not valid)."
        )
    return number


def _non_finite(value: Any, path: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _non_finite(item, f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _non_finite(item, f"{path}[{index}]")


def _did_you_mean(value: Any, choices: Iterable[str]) -> str:
    matches = difflib.get_close_matches(str(value), list(choices), n=1)
    return f" Did you mean {matches[0]!r}?" if matches else ""
