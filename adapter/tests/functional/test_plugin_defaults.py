"""This plugin's defaults for open-source Spark, in dbt's test framework (see conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from dbt.tests.util import run_dbt

MERGE_MODEL = """
{{ config(materialized="incremental", incremental_strategy="merge", unique_key="id") }}
select 1 as id
"""


class TestMergeOnParquetSaysWhatCanMerge:
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"merged.sql": MERGE_MODEL}

    def test_merge_without_a_merge_format_fails_naming_the_formats(self, project: object) -> None:
        results = run_dbt(["run"], expect_pass=False)

        message = str(results[0].message)
        assert "merge, with file_format 'parquet'" in message
        assert "delta, iceberg, hudi" in message
        assert "'append'" in message


REPLACE_ALL_MACRO = """
{% macro get_incremental_replace_all_sql(arg_dict) %}
  insert overwrite table {{ arg_dict['target_relation'] }}
  select * from {{ arg_dict['temp_relation'] }}
{% endmacro %}
"""

REPLACE_ALL_MODEL = """
{{ config(materialized="incremental", incremental_strategy="replace_all") }}
select {{ var("value") }} as value
"""


class TestCustomIncrementalStrategy:
    @pytest.fixture(scope="class")
    def macros(self) -> dict[str, str]:
        return {"replace_all.sql": REPLACE_ALL_MACRO}

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"replaced.sql": REPLACE_ALL_MODEL}

    def test_a_project_macro_supplies_the_strategy_sql(self, project: Any) -> None:
        run_dbt(["run", "--vars", "value: 1"])
        run_dbt(["run", "--vars", "value: 2"])  # incremental: the project's macro runs

        rows = project.run_sql(f"select value from {project.test_schema}.replaced", fetch="all")
        assert [tuple(row) for row in rows] == [(2,)]


class TestListingWithoutTableExtended:
    """The cache's listing of a schema: `show tables` and `show views` on a session catalog that
    holds plain Spark tables only, with the same relations and types as dbt-spark's `show table
    extended`, which reads every table's whole metadata."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "a_table.sql": "{{ config(materialized='table') }} select 1 as id",
            "a_view.sql": "{{ config(materialized='view') }} select * from {{ ref('a_table') }}",
        }

    def test_fast_listing_equals_dbt_sparks(self, project: Any) -> None:
        from dbt.adapters.spark.impl import SparkAdapter

        run_dbt(["run"])
        project.run_sql("create or replace temporary view a_temporary_view as select 2 as id")
        adapter = project.adapter
        schema = adapter.Relation.create(schema=project.test_schema)
        with adapter.connection_named("listing"):
            assert adapter._plain_session_catalog()
            fast = adapter.list_relations_without_caching(schema)
            extended = SparkAdapter.list_relations_without_caching(adapter, schema)
            missing = adapter.Relation.create(schema=f"{project.test_schema}_absent")
            assert adapter.list_relations_without_caching(missing) == []

        def named(relations: list[Any]) -> set[tuple[str, str, str]]:
            return {(r.schema, r.identifier, str(r.type)) for r in relations}

        assert named(fast) == {
            (project.test_schema, "a_table", "table"),
            (project.test_schema, "a_view", "view"),
        }
        in_schema = [r for r in extended if r.schema == project.test_schema]
        assert named(fast) == named(in_schema)
