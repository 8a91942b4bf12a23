"""OpenLineage for check operators: ``get_openlineage_facets_on_complete`` puts the check result on
the task's input datasets as ``dataQualityMetrics`` and ``dataQualityAssertions`` input facets.

Used by the OpenLineage provider (``pip install airflow-mlmonitor[openlineage]``) after the task
ran, in the worker, on the operator object that ran (the provider falls back to this method on
failure too, so a failed check reports its failed assertions). Without the provider nothing here
is ever called; it imports OpenLineage only inside the method.
"""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor.lineage.naming import ConnectionInfo

#: Operator attributes that hold data inputs, in result order.
INPUT_ATTRIBUTES = ("data", "reference", "current")


def _conn_lookup(conn_id: str) -> ConnectionInfo | None:
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # an unknown connection: the dataset is left out, the run goes on
        return None
    return ConnectionInfo(str(conn.conn_type or ""), conn.host or None, conn.port or None, conn.schema or None)


class CheckLineageMixin:
    """Adds OpenLineage data-quality facets to a check operator (see module docstring)."""

    #: The result dict pushed to XCom by the last execute of this operator object.
    mlmonitor_result: dict[str, Any] | None = None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from airflow.providers.openlineage.extractors import OperatorLineage

        return OperatorLineage(inputs=self.openlineage_inputs())

    def openlineage_inputs(self) -> list[Any]:
        """The input datasets of the last run, with the data-quality facets of its result."""
        from openlineage.client.event_v2 import InputDataset
        from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
        from openlineage.client.facet_v2 import data_quality_metrics_input_dataset as dqm

        from airflow_mlmonitor.lineage.facets import input_quality
        from airflow_mlmonitor.lineage.naming import dataset_name

        result = self.mlmonitor_result or {}
        quality = input_quality(result, expectations=getattr(self, "expectations", None)) if result else {}
        inputs = []
        for attribute in INPUT_ATTRIBUTES:
            value = getattr(self, attribute, None)
            named = dataset_name(value, conn_lookup=_conn_lookup)
            if named is None:
                continue
            facets: dict[str, Any] = {}
            if (q := quality.get(attribute)) is not None:
                facets["dataQualityMetrics"] = dqm.DataQualityMetricsInputDatasetFacet(
                    rowCount=q.row_count,
                    columnMetrics={
                        col: dqm.ColumnMetrics(nullCount=m.get("nullCount"), distinctCount=m.get("distinctCount"))
                        for col, m in q.column_metrics.items()
                    },
                )
                facets["dataQualityAssertions"] = dqa.DataQualityAssertionsDatasetFacet(
                    assertions=[dqa.Assertion(assertion=a.assertion, success=a.success, column=a.column)
                                for a in q.assertions]
                )
            inputs.append(InputDataset(namespace=named.namespace, name=named.name, inputFacets=facets))
        return inputs
