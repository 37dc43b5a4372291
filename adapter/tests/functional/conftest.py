"""dbt's adapter test framework (dbt-tests-adapter) on a local SparkSession in this process.

The framework runs dbt in-process, so the first suite starts one SparkSession (one JVM, one Derby
metastore, one warehouse in a temp folder) and every later suite reuses it: dbt-spark's session
cursor and this plugin's model runner both call `SparkSession.builder...getOrCreate()`, and static
settings (master, warehouse, metastore) only take effect the first time. So the Spark settings
below are the same for every class, and each suite gets its own schema from the framework.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from spark_python_harness import session_target

# Java, loopback binding and the workers' Python, before anything can start a JVM.
from btrnn.runtime import prepare_environment

prepare_environment()
# A Connect URL from the caller's shell would send these suites to some other server.
for _name in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_API_MODE"):
    os.environ.pop(_name, None)
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
    return session_target(spark_state_dir, schema="unused")
