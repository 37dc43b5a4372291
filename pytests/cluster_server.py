"""A standing cluster for tests: `btrnn cluster up` on free loopback ports in its own state.

`running_cluster()` runs the real CLI (`up`, then `down` on exit) and, once down, checks that no
process of the cluster is left; the session fixture `standing_cluster` shares one cluster with
every test that needs it (Spark Connect, Thrift and S3 endpoints in `StandingCluster.env`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from btrnn.cluster import ClusterConfig, PartStatus, master_state, status

# Small executors and driver: the test machine has 2 cores and runs dbt beside the cluster.
WORKER_MEMORY = "1g"
DRIVER_MEMORY = "1g"
UP_TIMEOUT_S = 240


@dataclass(frozen=True)
class StandingCluster:
    config: ClusterConfig
    folder: Path
    env: dict[str, str]  # the test process's environment plus the cluster's endpoints

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`btrnn cluster ARGS` in a subprocess, on this cluster's folder."""
        return subprocess.run(
            [sys.executable, "-m", "btrnn.cli", "cluster", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=UP_TIMEOUT_S + 60,
        )

    def status(self) -> list[PartStatus]:
        return status(self.folder)

    def master(self) -> dict[str, Any]:
        return master_state(self.config)


def _free_ports(count: int) -> list[int]:
    """`count` free loopback ports, the last two consecutive (the workers' web UIs)."""
    with ExitStack() as stack:
        ports: list[int] = []
        while len(ports) < count:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            if len(ports) == count - 2:  # reserve port + 1 too
                nxt = stack.enter_context(socket.socket())
                try:
                    nxt.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                ports += [port, port + 1]
            else:
                ports.append(port)
        return ports


def _environment(state: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BTRNN_CLUSTER_") and k not in ("SPARK_REMOTE", "AWS_ENDPOINT_URL")
    }
    env.update(BTRNN_STATE_DIR=str(state), BTRNN_DRIVER_MEMORY=DRIVER_MEMORY)
    return env


@contextmanager
def running_cluster(state: Path) -> Iterator[StandingCluster]:
    """Up on free ports with its metastore and warehouse in `state`; down (and checked) on exit."""
    master, master_ui, connect, thrift, s3, worker_ui, _ = _free_ports(7)
    config = ClusterConfig(
        master_port=master,
        master_ui_port=master_ui,
        worker_ui_port=worker_ui,
        connect_port=connect,
        thrift_port=thrift,
        s3_port=s3,
        workers=2,
        worker_memory=WORKER_MEMORY,
    )
    env = _environment(state)
    cluster = StandingCluster(config, state / "cluster", env)
    options = [
        "--master-port", str(master), "--master-ui-port", str(master_ui),
        "--worker-ui-port", str(worker_ui), "--connect-port", str(connect),
        "--thrift-port", str(thrift), "--s3-port", str(s3), "--workers", "2",
        "--worker-memory", WORKER_MEMORY, "--timeout", str(UP_TIMEOUT_S),
    ]  # fmt: skip
    try:
        started = cluster.cli("up", *options, check=False)
        assert started.returncode == 0, f"btrnn cluster up failed:\n{started.stderr}"
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in started.stdout.splitlines()
            if line.startswith("export ")
        )
        env.update(exports)
        yield cluster
    finally:
        pids = [part.pid for part in cluster.status() if part.pid]
        stopped = cluster.cli("down", check=False)
        assert stopped.returncode == 0, stopped.stderr
        left = _processes_in_groups(pids)
        assert not left, f"`btrnn cluster down` left processes behind:\n{left}"


def _processes_in_groups(groups: list[int]) -> str:
    """`ps` lines of live processes in any of the process groups."""
    out = subprocess.run(
        ["ps", "-A", "-o", "pid=,pgid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    wanted = {str(g) for g in groups}
    return "\n".join(
        line[:200]
        for line in out.splitlines()
        if len(line.split()) > 2 and line.split()[1] in wanted and line.split()[2][0] != "Z"
    )


@pytest.fixture(scope="session")
def standing_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandingCluster]:
    """One standing cluster for the session, in its own state folder."""
    with running_cluster(tmp_path_factory.mktemp("cluster-state")) as cluster:
        yield cluster
