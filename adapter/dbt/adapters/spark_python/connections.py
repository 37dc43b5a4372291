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
# A Python model that returns a pandas or pandas-on-Spark frame is converted with `to_spark()`,
# whose advice that the index is dropped is about a call the model never made: dropping it is
# the documented conversion (dbt-spark's too). Only that advice is silenced.
warnings.filterwarnings("ignore", message=r"If `index_col` is not specified for `to_spark`")


@dataclass
class SparkPythonCredentials(SparkCredentials):
    """dbt-spark's credentials (every connection method) for profiles of `type: spark_python`."""

    @property
    def type(self) -> str:
        return "spark_python"


class SparkPythonConnectionManager(SparkConnectionManager):
    TYPE = "spark_python"
