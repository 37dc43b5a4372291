"""A class-data-sharing archive of a Spark driver's classes, made once per test session.

Nearly every integration test starts a Spark driver (each dbt invocation, training, the in-process
sessions), and on 2 cores a driver's start is mostly loading and verifying some 15,000 JVM
classes: a Hive-enabled session's start and first query took 18-19 CPU seconds, 10 with this
archive mapped (HotSpot's dynamic CDS, JDK 13+). The root conftest.py makes the archive before the
pytest workers start and hands it to every driver through SPARK_SUBMIT_OPTS, which spark-submit
adds to the driver's JVM only (not to its launcher's, whose class path differs). A JVM whose class
path or flags do not match the archive ignores it (-Xshare:auto) and starts as before.

Run as a script, it is the JVM the archive is taken from: a local Hive-enabled session that writes
and reads a Parquet table, as a dbt run on the local target does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ARCHIVE_TIMEOUT_S = 300
# JVM warnings to stderr, not stdout: a driver that cannot map the archive says so, and tests
# read JSON from dbt's stdout.
WARNINGS_TO_STDERR = "-Xlog:disable -Xlog:all=warning:stderr"


def driver_options(archive: Path) -> str:
    """The driver JVM options that map `archive`."""
    return f"-XX:SharedArchiveFile={archive} {WARNINGS_TO_STDERR}"


def make_archive(folder: Path) -> Path | None:
    """Archive a driver's classes under `folder`; None (tests run without it) when that fails."""
    archive = folder / "spark-driver.jsa"
    env = {**os.environ, "SPARK_SUBMIT_OPTS": f"-XX:ArchiveClassesAtExit={archive}"}
    try:
        done = subprocess.run(
            [sys.executable, __file__],
            env=env,
            capture_output=True,
            text=True,
            timeout=ARCHIVE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"no JVM class archive after {ARCHIVE_TIMEOUT_S} s (drivers start without one)")
        return None
    if done.returncode != 0 or not archive.exists():
        print(f"no JVM class archive (drivers start without one):\n{done.stderr[-2000:]}")
        return None
    return archive


def _take_archive() -> None:
    from pyspark import SparkContext

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BTRNN_STATE_DIR"] = tmp  # a throwaway metastore and warehouse
        from btrnn.spark import get_session

        # The local target's own settings (profiles/profiles.yml), so its drivers match.
        spark = get_session("jvm-class-archive", master="local[2,4]")
        spark.sql("create table t using parquet as select id, id % 7 as k from range(1000)")
        spark.sql("select k, count(*) over (partition by k) as n from t").collect()
        spark.table("t").toPandas()
        process = SparkContext._gateway.proc  # type: ignore[union-attr]
        spark.stop()
        # The JVM writes the archive as it exits, which it does when its stdin closes.
        process.stdin.close()
        process.wait(timeout=ARCHIVE_TIMEOUT_S)


if __name__ == "__main__":
    _take_archive()
