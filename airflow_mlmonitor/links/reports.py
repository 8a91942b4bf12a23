"""The "Monitoring report" extra link on every check operator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


class MonitoringReportLink(BaseOperatorLink):
    """Links a check task instance to its report page, served by the ``mlmonitor`` plugin.

    Airflow computes the link on the worker when the task ends and stores it in XCom; the URL names
    the exact try, so each try links to its own report.
    """

    name = "Monitoring report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow_mlmonitor import conf
        from airflow_mlmonitor.reports.keys import ReportKey, report_url

        return report_url(ReportKey.from_ti(ti_key), conf.api_base_url())
