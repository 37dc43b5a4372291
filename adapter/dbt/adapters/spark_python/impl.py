"""The adapter: dbt-spark's, with Python models submitted to the connection's SparkSession."""

import os
from collections.abc import Sequence
from importlib import import_module
from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.base.impl import AdapterTrackingRelationInfo
from dbt.adapters.base.meta import available
from dbt.adapters.base.relation import BaseRelation
from dbt.adapters.contracts.relation import RelationConfig, RelationType
from dbt.adapters.spark.impl import SCHEMA_NOT_FOUND_MESSAGES, SparkAdapter
from dbt.adapters.spark_python.__version__ import version
from dbt.adapters.spark_python.connections import SparkPythonConnectionManager
from dbt.adapters.spark_python.python_submissions import SessionPythonJobHelper
from dbt.adapters.spark_python.seeds import values_sql
from dbt_common.exceptions import DbtRuntimeError

# The session confs through which Delta Lake, Iceberg or Hudi tables enter the session catalog,
# and what `set <key>` answers where nobody set them.
PLAIN_CATALOG_CONFS = {
    "spark.sql.extensions": "<undefined>",
    "spark.sql.catalog.spark_catalog": "builtin",
}


class SparkPythonAdapter(SparkAdapter):
    ConnectionManager = SparkPythonConnectionManager

    _plain_catalog: bool | None = None

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

    @available
    def project_root(self) -> str:
        """The dbt project's folder, absolute: macros resolve the project's relative file paths
        against it, whoever started dbt and from wherever (Spark would read them relative to a
        database's location)."""
        return os.path.abspath(self.config.project_root)

    def list_relations_without_caching(self, schema_relation: BaseRelation) -> list[BaseRelation]:
        """dbt-spark lists a schema with `show table extended`, which reads every table's whole
        metadata to learn its provider (Delta, Iceberg, Hudi): 1.5 s for 30 tables on an idle
        2-core machine, 3-4 s on a busy one, at the start of every dbt run. A session catalog
        without those formats' extensions holds plain Spark tables only, so `show tables` and
        `show views` (0.1-0.3 s) tell dbt all it needs: each relation's name and type."""
        if not self._plain_session_catalog():
            return super().list_relations_without_caching(schema_relation)
        schema = schema_relation.schema
        try:
            _, tables = self.execute(f"show tables in {schema}", fetch=True)
            _, views = self.execute(f"show views in {schema}", fetch=True)
        except DbtRuntimeError as err:
            if any(message in str(err) for message in SCHEMA_NOT_FOUND_MESSAGES):
                return []
            raise
        view_names = {row[1] for row in views}
        return [
            self.Relation.create(
                schema=namespace,
                identifier=name,
                type=RelationType.View if name in view_names else RelationType.Table,
            )
            for namespace, name, temporary in tables
            if not temporary  # a temporary view belongs to no schema
        ]

    def _plain_session_catalog(self) -> bool:
        """True when the session catalog can hold no Delta, Iceberg or Hudi table (asked once:
        both confs are fixed when the session starts)."""
        if self._plain_catalog is None:
            self._plain_catalog = all(
                self.execute(f"set {key}", fetch=True)[1][0][1] == plain
                for key, plain in PLAIN_CATALOG_CONFS.items()
            )
        return self._plain_catalog

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
