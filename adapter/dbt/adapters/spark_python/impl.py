"""The adapter: dbt-spark's, with Python models submitted to the connection's SparkSession."""

from collections.abc import Sequence
from importlib import import_module
from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.base.impl import AdapterTrackingRelationInfo
from dbt.adapters.base.meta import available
from dbt.adapters.contracts.relation import RelationConfig
from dbt.adapters.spark.impl import SparkAdapter
from dbt.adapters.spark_python.__version__ import version
from dbt.adapters.spark_python.connections import SparkPythonConnectionManager
from dbt.adapters.spark_python.python_submissions import SessionPythonJobHelper
from dbt.adapters.spark_python.seeds import values_sql


class SparkPythonAdapter(SparkAdapter):
    ConnectionManager = SparkPythonConnectionManager

    @property
    def default_python_submission_method(self) -> str:
        return "session"

    @property
    def python_submission_helpers(self) -> dict[str, type[PythonJobHelper]]:
        return {**super().python_submission_helpers, "session": SessionPythonJobHelper}

    @available
    def seed_values_sql(self, rows: Sequence[Sequence[Any]], column_types: Sequence[str]) -> str:
        """`insert into <seed> values <this>`: literals cast to their types (seeds.py says why)."""
        return values_sql(rows, column_types)

    @classmethod
    def get_adapter_run_info(cls, config: RelationConfig) -> AdapterTrackingRelationInfo:
        # dbt derives the module from the class name ("sparkpython"); name ours instead.
        # Built as dbt-adapters builds it; mypy reads the dataclass's __hash__ as abstract.
        return AdapterTrackingRelationInfo(  # type: ignore[abstract]
            adapter_name="spark_python",
            base_adapter_version=import_module("dbt.adapters.__about__").version,
            adapter_version=version,
            model_adapter_details=cls._get_adapter_specific_run_info(config),
        )
