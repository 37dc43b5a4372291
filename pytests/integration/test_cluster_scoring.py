"""Scoring on a real multi-process cluster, the model loaded once per executor worker from S3.

`local-cluster`: a master, two workers and their executor JVMs, each with Python workers, which
download the model from the local S3-compatible server over HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import numpy as np
import pandas as pd
from tiny_model import TOP_K, random_inputs, write_bundle

from btrnn.artifacts import ModelStore
from btrnn.scoring import Scorer

CLUSTER_JOB = """
import sys
from datetime import UTC, datetime
import numpy as np
from btrnn.scoring import ScoringSettings, score_users
from btrnn.spark import get_session

uri, version, inputs_path, out_path, batch_size, top_k = sys.argv[1:7]
inputs = np.load(inputs_path)
spark = get_session("btrnn-scoring-test", master="local-cluster[2,1,1024]")
frame = spark.createDataFrame(
    [(i + 1, [int(p) for p in row]) for i, row in enumerate(inputs)],
    "user_id bigint, input_product_ids array<bigint>",
).repartition(4)
settings = ScoringSettings(uri, version, top_k=int(top_k), batch_size=int(batch_size))
score_users(frame, settings, datetime.now(UTC)).toPandas().to_parquet(out_path)
spark.stop()
"""


def test_cluster_scoring_loads_once_per_worker(s3_endpoint, tmp_path):
    """A real multi-process cluster, in its own process so its executors get this environment."""
    bundle_folder = write_bundle(tmp_path / "bundle")
    scorer = Scorer(bundle_folder)
    boto3.client("s3").create_bucket(Bucket="models")
    version = ModelStore.from_uri("s3://models/btrnn").publish(bundle_folder)
    users, batch_size = 600, 25
    inputs = random_inputs(np.random.default_rng(2), users)
    np.save(tmp_path / "inputs.npy", inputs)
    env = {
        **os.environ,
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
        "BTRNN_MODEL_CACHE": str(tmp_path / "models"),
        "BTRNN_MODEL_LOAD_LOG": str(tmp_path / "loads.jsonl"),
        "BTRNN_STATE_DIR": str(tmp_path / "state"),
    }
    job = [
        sys.executable, "-c", CLUSTER_JOB, "s3://models/btrnn", version,
        str(tmp_path / "inputs.npy"), str(tmp_path / "recs.parquet"), str(batch_size), str(TOP_K),
    ]  # fmt: skip
    result = subprocess.run(job, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    recs = pd.read_parquet(tmp_path / "recs.parquet")

    assert len(recs) == users * TOP_K
    assert set(recs.model_version) == {version} and set(recs.recommender) == {"btrnn"}
    expected, _ = scorer.top_k(inputs, TOP_K)
    got = recs.sort_values(["user_id", "rank"]).product_id.to_numpy().reshape(users, TOP_K)
    np.testing.assert_array_equal(got, expected)

    loads = [json.loads(line) for line in (tmp_path / "loads.jsonl").read_text().splitlines()]
    pids = [load["pid"] for load in loads]
    batches = users // batch_size
    assert len(pids) == len(set(pids)), "a worker loaded the model twice"
    assert 1 <= len(pids) <= 4, "more loads than tasks: loading is per batch or row"
    assert batches >= 5 * len(pids)
    assert {load["version"] for load in loads} == {version}
    cached = list((tmp_path / "models").iterdir())
    # One verified copy (<version>-<manifest checksum>), no temp leftovers.
    assert len(cached) == 1 and cached[0].name.startswith(f"{version}-")
