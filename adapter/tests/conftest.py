"""Fixtures for dbt-spark-python's integration tests (helpers in spark_python_harness)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from spark_python_harness import (
    CONNECT_START_TIMEOUT_S,
    LOOPBACK,
    DbtProject,
    accepts,
    connect_server_command,
    free_port,
    spark_env,
    stop_group,
)


@pytest.fixture(scope="session")
def spark_connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Spark Connect server on 127.0.0.1 for this test session; its URL."""
    root = tmp_path_factory.mktemp("spark_connect")
    port = free_port()
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            connect_server_command(port, root),
            env=spark_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + CONNECT_START_TIMEOUT_S
        while not accepts(port):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                pytest.fail(f"Spark Connect server did not start on port {port}:\n{tail}")
            time.sleep(1)
        yield f"sc://{LOOPBACK}:{port}"
    finally:
        stop_group(server)


@pytest.fixture(scope="module")
def local_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    """The project on the `local` target: an in-process SparkSession per dbt run."""
    return DbtProject(tmp_path_factory.mktemp("local_session"))
