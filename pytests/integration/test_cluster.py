"""The standing cluster (`btrnn cluster up|status|down`) as dbt and BI will use it.

One application on a standalone master serves Spark Connect and Thrift over one metastore; its
executors run on two workers. `down` is checked when the session's cluster stops (the
`standing_cluster` fixture fails its teardown if a process is left).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from cluster_server import StandingCluster
from pyhive import hive

from btrnn.cluster import APP_NAME

PARTS = ("s3", "master", "worker-1", "worker-2", "application")

# Run in a subprocess: a Spark Connect client switches its process to Connect mode for good.
CONNECT_CLIENT = """
import json, os
import pandas as pd
from pyspark.sql import SparkSession

spark = SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()
spark.sql("create database if not exists cluster_check")
rows = [(i, f"item-{i}") for i in range(100)]
spark.createDataFrame(rows, "id int, name string").write.mode("overwrite").saveAsTable(
    "cluster_check.items"
)

def where(batches):
    for batch in batches:
        yield pd.DataFrame({"pid": [os.getpid()], "cwd": [os.getcwd()]})

# Eight tasks for two one-core executors: both take some.
ran = spark.range(0, 64, 1, 8).mapInPandas(where, "pid long, cwd string").distinct().collect()
print(json.dumps([row.asDict() for row in ran]))
"""


def run_client(cluster: StandingCluster, script: str) -> subprocess.CompletedProcess[str]:
    """A Python script as a Spark Connect client of the cluster, in a process of its own."""
    client = subprocess.run(
        [sys.executable, "-c", script], env=cluster.env, capture_output=True, text=True, timeout=240
    )
    assert client.returncode == 0, client.stderr[-3000:]
    return client


def test_status_lists_every_part_running(standing_cluster: StandingCluster):
    shown = standing_cluster.cli("status")
    lines = {line.split()[0]: line for line in shown.stdout.splitlines()}
    assert set(lines) == set(PARTS)
    assert all(" running " in line for line in lines.values()), shown.stdout
    config = standing_cluster.config
    assert f"sc://127.0.0.1:{config.connect_port}" in lines["application"]
    assert f"127.0.0.1:{config.thrift_port}" in lines["application"]


def test_up_again_starts_nothing(standing_cluster: StandingCluster):
    before = standing_cluster.status()
    again = standing_cluster.cli("up")
    assert "starting" not in again.stderr, again.stderr
    assert standing_cluster.status() == before
    assert f"SPARK_REMOTE=sc://127.0.0.1:{standing_cluster.config.connect_port}" in again.stdout


def test_application_has_one_executor_on_each_worker(standing_cluster: StandingCluster):
    master = standing_cluster.master()
    apps = [app for app in master["activeapps"] if app["name"] == APP_NAME]
    assert len(apps) == 1 and apps[0]["state"] == "RUNNING" and apps[0]["cores"] == 2
    assert master["aliveworkers"] == 2
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for n in (0, 1):
        port = standing_cluster.config.worker_ui_port + n
        with opener.open(f"http://127.0.0.1:{port}/json/", timeout=5) as response:
            worker = json.load(response)
        assert [e["appid"] for e in worker["executors"]] == [apps[0]["id"]]


def test_connect_writes_thrift_reads_and_udfs_run_on_the_workers(
    standing_cluster: StandingCluster,
):
    client = run_client(standing_cluster, CONNECT_CLIENT)
    ran = json.loads(client.stdout.strip().splitlines()[-1])
    # The Python workers ran in the executors' folders, under each worker's work folder.
    workers = {Path(row["cwd"]).relative_to(standing_cluster.folder).parts[0] for row in ran}
    assert workers == {"work-1", "work-2"}
    assert len({row["pid"] for row in ran}) >= 2

    port = standing_cluster.config.thrift_port
    cursor = hive.connect("127.0.0.1", port=port, username="btrnn").cursor()
    cursor.execute("select count(*), max(id) from cluster_check.items")
    assert cursor.fetchone() == (100, 99)


# dbt runs a Python model in one of its threads, not the one that opened the Connect session.
ML_IN_A_MODEL_THREAD = """
import threading
from dbt.adapters.spark_python.python_submissions import connection_session
from pyspark.ml.feature import Word2Vec
from pyspark.sql import SparkSession

SparkSession.builder.getOrCreate()  # dbt's connection opens the session in its thread
found = []

def model():
    spark = connection_session({})
    rows = [(["a", "b", "c"],), (["b", "c", "d"],)]
    sentences = spark.createDataFrame(rows, "words array<string>")
    word2vec = Word2Vec(vectorSize=3, minCount=1, seed=1, inputCol="words", outputCol="vector")
    found.append(word2vec.fit(sentences).getVectors().count())

thread = threading.Thread(target=model)
thread.start()
thread.join()
print(found)
"""


def test_a_python_models_thread_runs_pyspark_ml_over_connect(standing_cluster: StandingCluster):
    client = run_client(standing_cluster, ML_IN_A_MODEL_THREAD)
    assert client.stdout.strip().splitlines()[-1] == "[4]", client.stderr[-3000:]
