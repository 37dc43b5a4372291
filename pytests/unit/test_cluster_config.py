"""The cluster's settings: options over BTRNN_CLUSTER_* over the running cluster's over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from btrnn.cli import main
from btrnn.cluster import ClusterConfig, application_conf, resolve_config


def test_options_then_environment_then_recorded_then_defaults(monkeypatch):
    monkeypatch.setenv("BTRNN_CLUSTER_THRIFT_PORT", "10100")
    monkeypatch.setenv("BTRNN_CLUSTER_WORKER_MEMORY", "2g")
    recorded = ClusterConfig(connect_port=15100, thrift_port=10200, s3_port=5100)
    config = resolve_config({"s3_port": 5200, "master_port": None}, recorded)
    assert config == ClusterConfig(
        connect_port=15100, thrift_port=10100, s3_port=5200, worker_memory="2g"
    )


def test_application_serves_connect_and_thrift_on_the_local_targets_warehouse(monkeypatch):
    monkeypatch.setenv("BTRNN_STATE_DIR", "/state")
    conf = application_conf(
        ClusterConfig(master_port=7100, connect_port=15100, workers=2), Path("/state/cluster")
    )
    assert conf["spark.master"] == "spark://127.0.0.1:7100"
    assert conf["spark.plugins"] == "org.apache.spark.sql.connect.SparkConnectPlugin"
    assert conf["spark.connect.grpc.binding.address"] == "127.0.0.1"
    assert conf["spark.connect.grpc.binding.port"] == "15100"
    assert conf["spark.sql.warehouse.dir"] == "/state/warehouse"
    assert "databaseName=/state/metastore_db" in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert (conf["spark.cores.max"], conf["spark.executor.cores"]) == ("2", "1")
    # Executors never see the dbt client's environment: the application tells them.
    assert conf["spark.executorEnv.BTRNN_MODEL_LOAD_LOG"] == "/state/cluster/model-loads.jsonl"
    assert conf["spark.executorEnv.BTRNN_MODEL_CACHE"] == "/state/cluster/model-cache"


@pytest.mark.parametrize(
    "argv", [["cluster", "up", "--no-such-option"], ["cluster", "down", "--thrift-port", "1"]]
)
def test_unknown_options_are_errors(argv, capsys):
    assert main(argv) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
