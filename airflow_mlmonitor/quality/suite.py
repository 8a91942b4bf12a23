"""Turn the user's ``expectations`` into a :class:`~.types.SuiteSpec`, and that into a GX suite.

``expectations`` is a list of GX 1.x expectation configs (``{"type": ..., "kwargs": {...}}``), a
path or fsspec URL of a GX suite JSON/YAML file, or a callable returning a ``gx.ExpectationSuite``
(called at execute time only). Every problem is an :class:`InvalidInputError` naming the culprit.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.quality.types import ExpectationSpec, SuiteSpec
from airflow_mlmonitor.sources.paths import is_local_path, local_path

ExpectationsSource = Union[Sequence[Mapping[str, Any]], str, "os.PathLike[str]", Callable[[], Any]]

DEFAULT_SUITE_NAME = "mlmonitor"
SUITE_FILE_SUFFIXES = (".json", ".yaml", ".yml")
#: Keys an expectation config may have besides ``type``/``kwargs`` (GX 1.x and 0.x suite files).
_CONFIG_KEYS = {"type", "expectation_type", "kwargs", "meta", "id", "notes", "description", "severity",
                "rendered_content", "expectation_context"}
_EXAMPLE = '{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income"}}'


class SuiteFactory:
    """``expectations`` given as a callable returning a ``gx.ExpectationSuite`` (or a list of configs).

    The operator keeps it in its ``expectations`` template field: it declares no template fields and
    is not callable, so Airflow's templater leaves it alone; :meth:`load` calls the factory at execute
    time, once, and reads its expectations into a :class:`SuiteSpec`.
    """

    template_fields: tuple[str, ...] = ()

    def __init__(self, func: Callable[[], Any]) -> None:
        self.func = func

    def describe(self) -> str:
        return f"callable {getattr(self.func, '__qualname__', repr(self.func))}"

    __repr__ = __str__ = describe

    def load(self) -> SuiteSpec:
        return suite_from_callable(self.func)


def as_expectations(value: Any) -> Any:
    """For the operator's ``__init__``: a callable becomes a :class:`SuiteFactory`; the rest as is."""
    if callable(value) and not isinstance(value, (str, os.PathLike, SuiteFactory)) and not hasattr(value, "resolve"):
        return SuiteFactory(value)
    return value


def load_suite(source: Any, *, name: str = DEFAULT_SUITE_NAME) -> SuiteSpec:
    """Read ``expectations`` (configs, suite file or callable) into a validated-shape SuiteSpec."""
    if isinstance(source, SuiteFactory):
        return source.load()
    if isinstance(source, (str, os.PathLike)):
        return parse_suite_file(source)
    if callable(source):
        return suite_from_callable(source)
    if isinstance(source, Mapping) and "expectations" in source:
        return suite_from_dict(source, where="expectations", default_name=name)
    if isinstance(source, (list, tuple)):
        return SuiteSpec(name=name, expectations=specs_from_configs(source))
    raise InvalidInputError(
        f"expectations: got {type(source).__name__}; pass a list of expectation configs like [{_EXAMPLE}], "
        "a path to a GX suite .json/.yaml file, or a callable returning a gx.ExpectationSuite."
    )


def specs_from_configs(configs: Iterable[Any], where: str = "expectations") -> tuple[ExpectationSpec, ...]:
    specs = tuple(spec_from_config(config, position, where) for position, config in enumerate(configs))
    if not specs:
        raise InvalidInputError(f"{where}: no expectations given; a quality check needs at least one.")
    return specs


def spec_from_config(config: Any, position: int, where: str = "expectations") -> ExpectationSpec:
    """Check the shape of one config (GX validates the kwargs later, in :func:`build_gx_suite`)."""
    label = f"{where}[{position}]"
    if not isinstance(config, Mapping):
        raise InvalidInputError(
            f"{label}: expected a dict like {_EXAMPLE}, got {type(config).__name__} {config!r:.100}."
        )
    type_ = config.get("type", config.get("expectation_type"))  # 0.x suite files say expectation_type
    if not isinstance(type_, str) or not type_.strip():
        raise InvalidInputError(f"{label}: missing the expectation 'type', e.g. {_EXAMPLE}; got {dict(config)!r:.200}.")
    unknown = sorted(set(config) - _CONFIG_KEYS)
    if unknown:
        raise InvalidInputError(
            f"{label} ({type_}): unknown key(s) {unknown}; expectation arguments go under 'kwargs', e.g. {_EXAMPLE}."
        )
    kwargs = config.get("kwargs") or {}
    meta = config.get("meta") or {}
    if not isinstance(kwargs, Mapping) or not isinstance(meta, Mapping):
        raise InvalidInputError(f"{label} ({type_}): 'kwargs' and 'meta' must be dicts, got {dict(config)!r:.200}.")
    kwargs = {k: v for k, v in kwargs.items() if k != "batch_id"}  # GX adds it to stored results
    return ExpectationSpec(type=type_.strip(), kwargs=kwargs, meta=dict(meta), position=position)


def suite_from_dict(data: Mapping[str, Any], *, where: str, default_name: str) -> SuiteSpec:
    configs = data.get("expectations")
    if not isinstance(configs, list):
        raise InvalidInputError(f"{where}: 'expectations' must be a list of expectation configs, got {configs!r:.100}.")
    name = data.get("name") or data.get("expectation_suite_name") or default_name
    return SuiteSpec(name=str(name), expectations=specs_from_configs(configs, where=f"{where}: expectations"))


def parse_suite_file(path: str | os.PathLike[str]) -> SuiteSpec:
    """Parse a GX suite file (``.json``/``.yaml``/``.yml``; a suite dict or a bare list of configs)."""
    text = str(path)
    suffix = os.path.splitext(text.rstrip("/"))[1].lower()
    if suffix not in SUITE_FILE_SUFFIXES:
        raise InvalidInputError(
            f"expectations: {text!r} is not a suite file (suffix {suffix or '(none)'!r}); use one of "
            f"{', '.join(SUITE_FILE_SUFFIXES)}, or pass a list of expectation configs."
        )
    content = _read_text(text)
    where = f"suite file {text!r}"
    try:
        if suffix == ".json":
            data = json.loads(content)
        else:
            import yaml

            data = yaml.safe_load(content)
    except Exception as err:
        kind = "JSON" if suffix == ".json" else "YAML"
        raise InvalidInputError(f"{where} does not parse as {kind}: {_one_line(err)}") from err
    stem = os.path.splitext(os.path.basename(text.rstrip("/")))[0] or DEFAULT_SUITE_NAME
    if isinstance(data, list):
        return SuiteSpec(name=stem, expectations=specs_from_configs(data, where=f"{where}: expectations"))
    if isinstance(data, Mapping):
        return suite_from_dict(data, where=where, default_name=stem)
    raise InvalidInputError(f"{where}: expected a suite (a mapping with 'expectations') or a list, got {type(data).__name__}.")


def suite_from_callable(factory: Callable[[], Any]) -> SuiteSpec:
    """Call the user's suite factory (execute time only) and read its expectations."""
    name = getattr(factory, "__qualname__", repr(factory))
    try:
        suite = factory()
    except Exception as err:
        raise InvalidInputError(f"expectations: callable {name} raised {type(err).__name__}: {err}") from err
    if isinstance(suite, (list, tuple)):
        return SuiteSpec(name=DEFAULT_SUITE_NAME, expectations=specs_from_configs(suite, where=f"{name}()"))
    import great_expectations as gx

    if not isinstance(suite, gx.ExpectationSuite):
        raise InvalidInputError(
            f"expectations: callable {name} returned {type(suite).__name__}, expected a gx.ExpectationSuite."
        )
    configs = [expectation.configuration.to_json_dict() for expectation in suite.expectations]
    where = f"suite {suite.name!r} from {name}(): expectations"
    return SuiteSpec(name=suite.name, expectations=specs_from_configs(configs, where=where))


def build_gx_suite(spec: SuiteSpec) -> Any:
    """Build a ``gx.ExpectationSuite``; unknown types and kwargs GX rejects raise InvalidInputError."""
    import great_expectations as gx
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = []
    for item in spec.expectations:
        try:
            config = ExpectationConfiguration(type=item.type, kwargs=dict(item.kwargs), meta=dict(item.meta) or None)
            expectation = config.to_domain_obj()
        except ExpectationNotFoundError as err:
            raise InvalidInputError(
                f"{item.label}: Great Expectations has no expectation type {item.type!r}{_suggest_type(item.type)}. "
                "See https://greatexpectations.io/expectations/ for the list."
            ) from err
        except (ValueError, TypeError, KeyError) as err:  # pydantic's ValidationError is a ValueError
            raise InvalidInputError(
                f"{item.label}: Great Expectations rejected its kwargs {dict(item.kwargs)!r}: {_one_line(err)}"
            ) from err
        expectations.append(expectation)
    return gx.ExpectationSuite(name=spec.name, expectations=expectations)  # needs no data context


def required_columns(spec: ExpectationSpec) -> list[str]:
    """Columns that must exist in the data for this expectation to be evaluated at all."""
    columns: list[Any] = []
    if spec.type != "expect_column_to_exist" and spec.kwargs.get("column") is not None:
        columns.append(spec.kwargs["column"])
    columns += [spec.kwargs[k] for k in ("column_A", "column_B") if spec.kwargs.get(k) is not None]
    column_list = spec.kwargs.get("column_list")
    if not spec.type.startswith("expect_table_") and isinstance(column_list, (list, tuple)):
        columns += list(column_list)
    return [str(c) for c in columns]


def check_columns(spec: SuiteSpec, columns: Iterable[Any], data_name: str = "data") -> None:
    """Raise one clear error listing every expectation that names a column the data lacks."""
    available = [str(c) for c in columns]
    present = set(available)
    problems = []
    for item in spec.expectations:
        for column in required_columns(item):
            if column not in present:
                close = difflib.get_close_matches(column, available, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"column {column!r}{hint} needed by {item.label}")
    if problems:
        shown = ", ".join(map(repr, available[:30])) + (" ..." if len(available) > 30 else "")
        raise InvalidInputError(
            f"{data_name} has no " + "; no ".join(problems) + f". Columns in {data_name}: {shown}."
        )


def _suggest_type(type_: str) -> str:
    from great_expectations.expectations.registry import list_registered_expectation_implementations

    close = difflib.get_close_matches(type_, list_registered_expectation_implementations(), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""


def _read_text(path: str) -> str:
    try:
        if not is_local_path(path) and not path.startswith("file://"):
            import fsspec

            with fsspec.open(path, "rt", encoding="utf-8") as handle:
                return str(handle.read())
        with open(local_path(path), encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InvalidInputError(f"expectations: suite file {path!r} does not exist.") from None
    except OSError as err:
        raise InvalidInputError(f"expectations: cannot read suite file {path!r}: {err}") from None


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())
