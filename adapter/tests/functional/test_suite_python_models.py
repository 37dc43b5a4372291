"""dbt's Python model suites, with only the connection settings changed (see conftest.py)."""

from __future__ import annotations

import pytest
from dbt.tests.adapter.python_model.test_python_model import (
    BasePythonIncrementalTests,
    BasePythonMetaGetTests,
    BasePythonModelTests,
)
from dbt.tests.adapter.python_model.test_spark import (
    PANDAS_MODEL,
    PANDAS_ON_SPARK_MODEL,
    PYSPARK_MODEL,
    BasePySparkTests,
)
from dbt.tests.util import run_dbt


class TestPythonModels(BasePythonModelTests):
    pass


@pytest.mark.skip(
    reason="the suite sets incremental_strategy: merge, which needs delta/iceberg/hudi; plain "
    "Spark's parquet cannot merge (the model fails with an error saying so)"
)
class TestPythonIncremental(BasePythonIncrementalTests):
    pass


class TestPythonMetaGet(BasePythonMetaGetTests):
    pass


class TestPySpark(BasePySparkTests):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        # The suite's fourth model imports databricks.koalas, the Databricks-runtime package
        # that became pyspark.pandas (covered by pandas_on_spark_df); it is not installable with
        # PySpark 4, so the suite runs its other three dataframe kinds.
        return {
            "pandas_df.py": PANDAS_MODEL,
            "pyspark_df.py": PYSPARK_MODEL,
            "pandas_on_spark_df.py": PANDAS_ON_SPARK_MODEL,
        }

    def test_different_dataframes(self, project: object) -> None:
        assert len(run_dbt(["run"])) == 3
