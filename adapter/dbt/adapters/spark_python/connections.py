"""Credentials and connections: dbt-spark's, under this adapter's type name."""

import warnings
from dataclasses import dataclass

from dbt.adapters.spark.connections import SparkConnectionManager, SparkCredentials

# Over Spark Connect, every session that dbt-spark's cursor (and this plugin's model runner) builds
# asks for Hive support: a static conf, fixed when the server started, so PySpark warns about it
# on every statement (agate resets the warning registry, so "once" does not hold). The warning says
# nothing a user can act on and buries dbt's output; only this one message is silenced.
warnings.filterwarnings(
    "ignore",
    message=r"Failed to set spark\.sql\.catalogImplementation to ",
    category=UserWarning,
)


@dataclass
class SparkPythonCredentials(SparkCredentials):
    """dbt-spark's credentials (every connection method) for profiles of `type: spark_python`."""

    @property
    def type(self) -> str:
        return "spark_python"


class SparkPythonConnectionManager(SparkConnectionManager):
    TYPE = "spark_python"
