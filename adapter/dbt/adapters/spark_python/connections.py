"""Credentials and connections: dbt-spark's, under this adapter's type name."""

from dataclasses import dataclass

from dbt.adapters.spark.connections import SparkConnectionManager, SparkCredentials


@dataclass
class SparkPythonCredentials(SparkCredentials):
    """dbt-spark's credentials (every connection method) for profiles of `type: spark_python`."""

    @property
    def type(self) -> str:
        return "spark_python"


class SparkPythonConnectionManager(SparkConnectionManager):
    TYPE = "spark_python"
