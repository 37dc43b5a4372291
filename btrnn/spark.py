"""A SparkSession for btrnn's own programs (training, benchmarks) outside dbt.

Spark Connect when SPARK_REMOTE is set; else the embedded local session on the same metastore
and warehouse as dbt's `local` target (their settings come from profiles/profiles.yml).
"""

from __future__ import annotations

import os

from pyspark.sql import SparkSession

from btrnn.runtime import local_spark_conf, prepare_environment


def get_session(app_name: str = "btrnn", master: str | None = None) -> SparkSession:
    prepare_environment()
    if os.environ.get("SPARK_REMOTE"):
        return SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()
    builder = SparkSession.builder.appName(app_name).enableHiveSupport()
    for key, value in local_spark_conf(master).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
