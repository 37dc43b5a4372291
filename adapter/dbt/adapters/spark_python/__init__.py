"""dbt-spark-python: dbt-spark plus Python models on open-source Apache Spark.

dbt-spark submits Python models only to Databricks (dbt-spark issue #415). This plugin reuses
dbt-spark's credentials, connection methods and macros, and adds a `session` submission method
that runs the compiled model in the connection's own SparkSession: a local one, or a Spark
Connect session when SPARK_REMOTE is set.
"""

from dbt.adapters.base import AdapterPlugin
from dbt.adapters.spark_python.connections import (
    SparkPythonConnectionManager,
    SparkPythonCredentials,
)
from dbt.adapters.spark_python.impl import SparkPythonAdapter
from dbt.include import spark_python

__all__ = ["Plugin", "SparkPythonAdapter", "SparkPythonConnectionManager", "SparkPythonCredentials"]

Plugin = AdapterPlugin(
    adapter=SparkPythonAdapter,  # type: ignore[arg-type]
    credentials=SparkPythonCredentials,
    include_path=spark_python.PACKAGE_PATH,
    dependencies=["spark"],
)
