"""Runs a compiled dbt Python model in the SparkSession that the dbt connection uses."""

import traceback
from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.spark.connections import SparkConnectionMethod, SparkCredentials
from dbt_common.exceptions import DbtRuntimeError


def connection_session(server_side_parameters: dict[str, str]) -> Any:
    """The session dbt-spark's `session` method runs SQL in (the same builder, so the same one).

    With SPARK_REMOTE set, PySpark's builder returns a Spark Connect session instead of
    starting a local JVM, so the model then runs against that server.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in server_side_parameters.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SessionPythonJobHelper(PythonJobHelper):
    """Submission method `session`: exec the model's compiled code with `spark` bound."""

    def __init__(self, parsed_model: dict, credentials: SparkCredentials) -> None:
        if credentials.method != SparkConnectionMethod.SESSION:
            raise DbtRuntimeError(
                f"Python model {parsed_model['alias']}: submission method 'session' needs a "
                f"profile with `method: session` (a local SparkSession, or Spark Connect via "
                f"SPARK_REMOTE); this target uses `method: {credentials.method}`."
            )
        self.identifier = parsed_model["alias"]
        self.credentials = credentials

    def submit(self, compiled_code: str) -> None:
        spark = connection_session(self.credentials.server_side_parameters)
        namespace: dict[str, Any] = {"spark": spark, "__name__": f"dbt_model_{self.identifier}"}
        try:
            exec(compile(compiled_code, f"<python model {self.identifier}>", "exec"), namespace)
        except Exception as exc:
            raise DbtRuntimeError(
                f"Python model {self.identifier} failed: {type(exc).__name__}: {exc}\n"
                f"{traceback.format_exc()}"
            ) from exc
