"""Helpers for dbt-spark-python's integration tests: real dbt CLI runs, a real Spark Connect server.

Every Spark here binds 127.0.0.1, and every JVM gets its own temp metastore and warehouse: the
embedded Derby metastore admits one JVM per folder. These tests never start Spark in the pytest
process itself; dbt runs as a subprocess (its own JVM, or a Spark Connect client), so that one
test's session (or Connect mode, which PySpark switches on process-wide) cannot leak into another.
The exception is functional/ (dbt's adapter test framework runs dbt in-process): one local
session, always local, shared by its suites.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pyspark

from btrnn.runtime import LOG4J_CONFIG, LOOPBACK, prepare_environment

PROJECT_DIR = Path(__file__).resolve().parent / "project"
SCHEMA = "spark_python_it"
PYTHON = Path(sys.executable)
DBT = PYTHON.parent / "dbt"
SPARK_SUBMIT = Path(pyspark.__file__).parent / "bin" / "spark-submit"
CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
CONNECT_START_TIMEOUT_S = 180
DBT_TIMEOUT_S = 300


def spark_env(**extra: str) -> dict[str, str]:
    """This process's environment with Java, loopback binding and the venv's Python for workers.

    A Connect URL inherited from the caller's shell is dropped: each test says where Spark runs.
    """
    prepare_environment()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_API_MODE")
    }
    env.update(
        SPARK_LOCAL_IP=LOOPBACK,
        PYSPARK_PYTHON=str(PYTHON),
        PYSPARK_DRIVER_PYTHON=str(PYTHON),
        # dbt-spark's generated Python imports pyspark.pandas, which warns without this.
        PYARROW_IGNORE_TIMEZONE="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    env.update(extra)
    return env


def stop_group(process: subprocess.Popen[Any], grace_s: float = 30) -> None:
    """Stop a process started with start_new_session and all it started (JVM, Python workers).

    SIGTERM first, SIGKILL if it outlives `grace_s`; then SIGKILL for any straggler left in the
    group once the leader is gone. Only this process's own group is signalled.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def run_in_group(command: Sequence[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a command (the dbt CLI) in its own process group, bounded by DBT_TIMEOUT_S; its exit
    code and output. The whole group is stopped afterwards, Spark's JVM included."""
    process = subprocess.Popen(
        list(command),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=DBT_TIMEOUT_S)
    finally:
        stop_group(process, grace_s=10)
    return process.returncode, output


@dataclass
class DbtResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class DbtProject:
    """The fixture project in adapter/tests/project, with its state in one temp folder."""

    root: Path
    target: str = "local"
    spark_remote: str | None = None

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    def env(self) -> dict[str, str]:
        extra = {
            "SPARK_PYTHON_IT_DIR": str(self.root),
            "SPARK_PYTHON_IT_SCHEMA": SCHEMA,
            "SPARK_PYTHON_IT_LOG4J": str(LOG4J_CONFIG),
            "DBT_TARGET_PATH": str(self.root / "target"),
            "DBT_LOG_PATH": str(self.root / "logs"),
        }
        if self.spark_remote:
            extra["SPARK_REMOTE"] = self.spark_remote
        return spark_env(**extra)

    def dbt(self, *args: str, variables: dict[str, Any] | None = None) -> DbtResult:
        """Run the real dbt CLI on the project; its own process group, cleaned up after."""
        command = [str(DBT), *args, "--project-dir", str(PROJECT_DIR)]
        command += ["--profiles-dir", str(PROJECT_DIR), "--target", self.target]
        if variables:
            command += ["--vars", json.dumps(variables)]
        returncode, output = run_in_group(command, self.env())
        return DbtResult(returncode, output)

    def table_dir(self, name: str) -> Path:
        return self.warehouse / f"{SCHEMA}.db" / name

    def read(self, name: str) -> list[dict[str, Any]]:
        """A table's rows from its Parquet files (no second JVM on the run's Derby metastore)."""
        table = pq.read_table(self.table_dir(name)).to_pylist()
        return sorted(table, key=lambda row: tuple(row.values()))


def read_all_over_connect(url: str, tables: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows, sorted, through one Spark Connect client in a subprocess.

    PySpark turns Connect mode on for the whole process once a remote session exists; a
    subprocess keeps the pytest process out of it.
    """
    script = (
        "import json, sys\n"
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()\n"
        "tables = {t: [r.asDict() for r in spark.table(t).collect()] for t in sys.argv[2:]}\n"
        # Decimals, dates and timestamps as their text.
        "print(json.dumps(tables, default=str))\n"
    )
    done = subprocess.run(
        [str(PYTHON), "-c", script, url, *tables],
        env=spark_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        table: sorted(rows, key=lambda row: tuple(row.values())) for table, rows in read.items()
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((LOOPBACK, port)) == 0


def connect_server_command(port: int, root: Path) -> Sequence[str]:
    """spark-submit of PySpark's bundled Spark Connect server, Hive catalog in `root`."""
    confs = {
        "spark.connect.grpc.binding.address": LOOPBACK,
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.ui.enabled": "false",
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={root} -Dlog4j2.configurationFile={LOG4J_CONFIG}"
        ),
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.session.timeZone": "UTC",
    }
    command = [str(SPARK_SUBMIT), "--class", CONNECT_SERVER_CLASS, "--master", "local[2]"]
    command += ["--name", "dbt-spark-python-tests"]
    for key, value in confs.items():
        command += ["--conf", f"{key}={value}"]
    return [*command, "spark-internal"]


def session_target(root: Path, schema: str) -> dict[str, Any]:
    """A profile target on an in-process local session, metastore and warehouse in `root`.

    For tests that write their own profiles.yml (a fresh project, dbt's adapter test framework);
    the same settings as the `local` target of project/profiles.yml.
    """
    parameters = {
        "spark.master": "local[2]",
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={root} -Dlog4j2.configurationFile={LOG4J_CONFIG}"
        ),
    }
    return {
        "type": "spark_python",
        "method": "session",
        "host": "local",
        "schema": schema,
        "threads": 1,
        "server_side_parameters": parameters,
    }


def connect_target(url: str, schema: str) -> dict[str, Any]:
    """A profile target on a Spark Connect server: PySpark's builder returns a Connect session
    when SPARK_REMOTE is set in the dbt process, so `host` only documents the URL."""
    return {
        "type": "spark_python",
        "method": "session",
        "host": url,
        "schema": schema,
        "threads": 1,
    }


def suites_remote() -> str | None:
    """The Spark Connect URL that dbt's adapter suites (functional/) run against, if any: set by
    test_suites_over_connect.py for a pytest process of its own."""
    return os.environ.get("SPARK_PYTHON_SUITES_REMOTE") or None


def delta_jars() -> list[str]:
    """Delta Lake's jars (delta-spark, delta-storage), where the machine has them: the
    ':'-separated paths in SPARK_PYTHON_DELTA_JARS."""
    return [jar for jar in os.environ.get("SPARK_PYTHON_DELTA_JARS", "").split(":") if jar]
