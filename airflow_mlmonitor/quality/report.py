"""The HTML validation report. Airflow-free.

``report.html`` is our own self-contained page (inline CSS, no scripts, no network: it renders in
the sandboxed UI tab and on air-gapped machines). GX's own Data Docs page can be rendered offline
too (:func:`render_data_docs`), but it loads Bootstrap, jQuery, Vega and fonts from public CDNs,
links to a Data Docs site that does not exist here, and costs 0.1-0.3 s whatever the data size, so
it is opt-in (``data_docs=True``) and stored next to the report as ``data_docs.html``. Every value
is escaped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from html import escape
from typing import Any

from airflow_mlmonitor.quality.types import ExpectationOutcome, QualityOutcome

log = logging.getLogger(__name__)

_CSS = """
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--muted:#6e7781;--line:#d0d7de;--bg2:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--line:#30363d;--bg2:#161b22;--muted:#8b949e}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;max-width:1400px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.muted{color:var(--muted)}.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;
font-weight:600}.ok{background:var(--ok)}.bad{background:var(--bad)}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.tile{border:1px solid var(--line);
border-radius:8px;padding:10px 16px;min-width:140px;background:var(--bg2)}.tile b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:6px 8px;
text-align:left;vertical-align:top}th{background:var(--bg2);position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;word-break:break-word}
tr.failed td:first-child{border-left:4px solid var(--bad)}tr.passed td:first-child{border-left:4px solid var(--ok)}
"""


def render_report(
    outcome: QualityOutcome, *, data_name: str = "data", generated_at: dt.datetime | None = None,
    data_docs: bool = False,
) -> str:
    """A readable, self-contained HTML page of the validation (failed expectations first)."""
    when = (generated_at or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M:%S UTC")
    verdict = "Passed" if outcome.success else "Failed"
    rows = "n/a" if outcome.row_count is None else f"{outcome.row_count:,}"
    ordered = sorted(outcome.expectations, key=lambda item: item.success)  # failed first, stable
    tiles = [
        ("Success percent", _pct(outcome.success_percent)),
        ("Expectations", str(outcome.evaluated_expectations)),
        ("Passed", str(outcome.successful_expectations)),
        ("Failed", str(outcome.unsuccessful_expectations)),
        ("Rows", rows),
    ]
    body = "".join(_row(item) for item in ordered)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Data quality: {escape(outcome.suite_name)} ({verdict})</title><style>{_CSS}</style></head><body>"
        f"<h1>Data quality validation <span class='badge {'ok' if outcome.success else 'bad'}'>{verdict}</span></h1>"
        f"<div class='muted'>Suite <b>{escape(outcome.suite_name)}</b> on <b>{escape(data_name)}</b> "
        f"&middot; {escape(when)} &middot; Great Expectations {escape(str(outcome.gx_version or 'n/a'))}</div>"
        "<div class='tiles'>"
        + "".join(f"<div class='tile'><span class='muted'>{escape(k)}</span><b>{escape(v)}</b></div>" for k, v in tiles)
        + "</div><h2>Expectations</h2><table><thead><tr><th>Status</th><th>Expectation</th><th>Column</th>"
        "<th>Success</th><th>Unexpected</th><th>Mostly</th><th>Observed</th><th>Unexpected values (sample)</th>"
        f"<th>Arguments</th></tr></thead><tbody>{body}</tbody></table>"
        "<p class='muted'>Success = share of the evaluated (non-missing, unless the expectation is about "
        "missing values) rows that met the expectation. The full GX result is stored next to this page as "
        f"validation_result.json{_DOCS_NOTE if data_docs else ''}.</p></body></html>"
    )


_DOCS_NOTE = ", GX's own Data Docs page as data_docs.html"


def _row(item: ExpectationOutcome) -> str:
    status = "passed" if item.success else "failed"
    unexpected = "" if item.unexpected_count is None else f"{item.unexpected_count:,} ({_pct(item.unexpected_percent)})"
    arguments = {k: v for k, v in item.kwargs.items() if k not in {"column", "mostly"}}
    cells = [
        f"<span class='badge {'ok' if item.success else 'bad'}'>{status}</span>",
        f"<code>{escape(item.expectation_type)}</code>",
        escape(item.column or "(table)"),
        f"<td class='num'>{escape(_pct(item.success_percent))}",
        f"<td class='num'>{escape(unexpected)}",
        f"<td class='num'>{escape('' if item.mostly is None else str(item.mostly))}",
        f"<code>{escape(_json(item.observed_value))}</code>" if item.observed_value is not None else "",
        escape(", ".join(_json(v) for v in item.sample_unexpected)),
        f"<code>{escape(_json(arguments))}</code>" if arguments else "",
    ]
    tds = "".join(cell + "</td>" if cell.startswith("<td") else f"<td>{cell}</td>" for cell in cells)
    return f"<tr class='{status}'>{tds}</tr>"


def render_data_docs(result_json: Mapping[str, Any]) -> str | None:
    """GX's own Data Docs page for one validation result JSON (needs CDN assets to look right).

    Rendered from the JSON-native result (GX's renderer chokes on numpy scalars). Never fails the
    check: on any rendering error it logs and returns None.
    """
    try:
        from great_expectations.core.expectation_validation_result import (
            ExpectationSuiteValidationResultSchema,
        )
        from great_expectations.render.renderer import ValidationResultsPageRenderer
        from great_expectations.render.view import DefaultJinjaPageView

        validation_result = ExpectationSuiteValidationResultSchema().load(dict(result_json))
        document = ValidationResultsPageRenderer().render(validation_result)
        return str(DefaultJinjaPageView().render(document))
    except Exception as err:
        log.warning("Could not render GX Data Docs for the validation (the report is unaffected): %s", err)
        return None


def _json(value: Any) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.2f}%"
