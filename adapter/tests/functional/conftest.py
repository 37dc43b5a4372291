"""dbt's adapter test framework (dbt-tests-adapter) on a local SparkSession or a Connect server.

The framework runs dbt in-process, so the first suite starts one SparkSession (one JVM, one Derby
metastore, one warehouse in a temp folder) and every later suite reuses it: dbt-spark's session
cursor and this plugin's model runner both call `SparkSession.builder...getOrCreate()`, and static
settings (master, warehouse, metastore) only take effect the first time. So the Spark settings
below are the same for every class, and each suite gets its own schema from the framework.

With `SPARK_PYTHON_SUITES_REMOTE=sc://host:port` the same suites run against that Spark Connect
server instead (`test_suites_over_connect.py` does this in a pytest process of its own: PySpark
switches a whole process to Connect mode once a remote session exists).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from spark_python_harness import connect_target, delta_jars, session_target, suites_remote

# Java, loopback binding and the workers' Python, before anything can start a JVM.
from btrnn.runtime import prepare_environment

prepare_environment()
# A Connect URL from the caller's shell would send these suites to some other server: only
# SPARK_PYTHON_SUITES_REMOTE (set on purpose) picks one.
for _name in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_API_MODE"):
    os.environ.pop(_name, None)
SUITES_REMOTE = suites_remote()
if SUITES_REMOTE:
    os.environ["SPARK_REMOTE"] = SUITES_REMOTE
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

# The framework's fixtures (project, adapter, unique_schema, ...): a star import registers them
# for this folder only; `pytest_plugins` is not allowed outside the root conftest.
from dbt.tests.fixtures.project import *  # noqa: E402, F403


@pytest.fixture(scope="session")
def spark_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Warehouse and metastore of the one SparkSession this pytest process starts."""
    return tmp_path_factory.mktemp("functional_spark")


@pytest.fixture(scope="class")
def dbt_profile_target(spark_state_dir: Path) -> dict[str, Any]:
    # The framework sets the schema (one per test class) in the profile.
    if SUITES_REMOTE:
        return connect_target(SUITES_REMOTE, schema="unused")
    target = session_target(spark_state_dir, schema="unused")
    if delta_jars():  # test_suite_delta.py
        target["server_side_parameters"] |= {
            "spark.jars": ",".join(delta_jars()),
            "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
            "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        }
    return target
