"""The suites that need a table format able to merge, on Delta Lake, where its jars are present.

Plain Spark has no format that merges, so the snapshot suites and the Python incremental suite
are skipped in test_suite_basic.py / test_suite_python_models.py. With Delta Lake's jars (set
SPARK_PYTHON_DELTA_JARS to the delta-spark and delta-storage jars matching the Spark version,
separated by ':'), conftest.py adds them and Delta's extension and catalog to the session, and the
same suites run here with `file_format: delta`, the only setting changed. Over Spark Connect the
jars belong on the server instead, so these stay skipped there.
"""

from __future__ import annotations

from typing import Any

import pytest
from dbt.tests.adapter.basic.test_snapshot_check_cols import BaseSnapshotCheckCols
from dbt.tests.adapter.basic.test_snapshot_timestamp import BaseSnapshotTimestamp
from dbt.tests.adapter.python_model.test_python_model import BasePythonIncrementalTests
from spark_python_harness import delta_jars, suites_remote

pytestmark = pytest.mark.skipif(
    not delta_jars() or suites_remote() is not None,
    reason="Delta Lake's jars are not on this machine (Maven Central, where they are published, "
    "is not reachable from here): set SPARK_PYTHON_DELTA_JARS to run the merge suites on delta",
)
DELTA = {"+file_format": "delta"}


class TestSnapshotCheckColsDelta(BaseSnapshotCheckCols):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict[str, Any]:
        return {"name": "snapshot_strategy_check_cols", "seeds": DELTA, "snapshots": DELTA}


class TestSnapshotTimestampDelta(BaseSnapshotTimestamp):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict[str, Any]:
        return {"name": "snapshot_strategy_timestamp", "seeds": DELTA, "snapshots": DELTA}


class TestPythonIncrementalDelta(BasePythonIncrementalTests):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict[str, Any]:
        return {"models": {"+incremental_strategy": "merge", **DELTA}}
