"""The `thrift` target: dbt's SQL models through a real Spark Thrift Server on 127.0.0.1.

Its own build: the server holds its own metastore, which the shared warehouse cannot share.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pyspark
import pytest
from pyhive import hive

SQL_LAYER = "+int_training_windows +int_label_vocabulary"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def thrift_server(warehouse):
    port = _free_port()
    state = warehouse.root
    spark_submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    command = [
        str(spark_submit), "--master", "local[2]",
        "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", f"spark.sql.warehouse.dir={state}/warehouse",
        "--conf", "spark.hadoop.javax.jdo.option.ConnectionURL="
                  f"jdbc:derby:;databaseName={state}/metastore_db;create=true",
        "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={state}",
        "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
        "--hiveconf", f"hive.server2.thrift.port={port}",
        "spark-internal",
    ]  # fmt: skip
    log = open(state / "thrift.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ
    )
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, (state / "thrift.log").read_text()[-3000:]
            time.sleep(2)
        else:
            pytest.fail("the Spark Thrift Server did not start in 180 s")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


def test_sql_models_build_over_thrift(warehouse, thrift_server):
    env = {"BTRNN_TARGET": "thrift", "BTRNN_THRIFT_PORT": str(thrift_server)}
    warehouse.dbt("build", "--select", SQL_LAYER, "--indirect-selection", "cautious", env=env)
    cursor = hive.connect("127.0.0.1", port=thrift_server, username="btrnn").cursor()
    cursor.execute("select count(*), min(size(input_product_ids)) from btrnn.int_training_windows")
    windows, width = cursor.fetchone()
    assert windows > 1000 and width == 11
