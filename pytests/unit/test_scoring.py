"""Scoring: top-K from the logits, and the model loaded once per executor worker from S3.

The distributed test runs a real multi-process cluster (`local-cluster`: a master, two workers
and their executor JVMs, each with Python workers) that downloads the model from the local
S3-compatible server over HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest

from btrnn.artifacts import ModelStore
from btrnn.bundle import ModelBundle
from btrnn.items import ItemTable
from btrnn.model import ModelConfig, build_model
from btrnn.scoring import Scorer, _long_format

N_ITEMS, N_LABELS, TOP_K = 60, 40, 5


def _bundle_folder(folder: Path) -> Path:
    rng = np.random.default_rng(3)
    ids = np.arange(1, N_ITEMS + 1, dtype=np.int64) * 7
    features = rng.normal(size=(N_ITEMS, 102)).astype(np.float32)
    features[:, 0] = 1.0
    features[-5:, 0] = 0.0  # five items without a Word2Vec vector
    features[-5:, 2:] = 0.0
    config = ModelConfig(n_labels=N_LABELS, units=8)
    model = build_model(config)
    bundle = ModelBundle(config, ids[:N_LABELS], ItemTable.from_rows(ids, features), {})
    bundle.write(folder, model)
    return folder


@pytest.fixture(scope="module")
def bundle_folder(tmp_path_factory) -> Path:
    return _bundle_folder(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def scorer(bundle_folder) -> Scorer:
    return Scorer(bundle_folder)


def _inputs(rng: np.random.Generator, rows: int) -> np.ndarray:
    inputs = rng.choice(np.arange(1, N_ITEMS + 1) * 7, size=(rows, 11))
    for row in range(rows):  # left padding of varying length
        inputs[row, : rng.integers(0, 11)] = 0
    return inputs


def test_top_k_equals_full_softmax_ranking(scorer, bundle_folder):
    inputs = _inputs(np.random.default_rng(0), 16)
    ids, scores = scorer.top_k(inputs, TOP_K)
    model = ModelBundle.read(bundle_folder).load_model(bundle_folder)
    rows = scorer.items.rows_of(inputs.ravel()).reshape(inputs.shape)
    logits = model.predict(scorer.items.matrix[rows], verbose=0).astype(np.float64)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    best = np.argsort(-probabilities, axis=1)[:, :TOP_K]
    np.testing.assert_array_equal(ids, scorer.labels[best])
    np.testing.assert_allclose(scores, np.take_along_axis(probabilities, best, 1), rtol=1e-4)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_excluded_items_are_skipped_and_short_lists_padded(scorer):
    inputs = _inputs(np.random.default_rng(1), 4)
    full, _ = scorer.top_k(inputs, TOP_K)
    exclude = full[:, :2]
    ids, _ = scorer.top_k(inputs, TOP_K, exclude=exclude)
    np.testing.assert_array_equal(ids[:, :3], full[:, 2:])
    assert not (ids[:, :, None] == exclude[:, None, :]).any()  # per row
    everything, _ = scorer.top_k(inputs[:1], N_LABELS + 3)
    assert (everything[0, N_LABELS:] == 0).all()  # more than |I'| asked: padded with id 0
    frame = _long_format(pd.Series([9]), everything, np.ones_like(everything, float), "user_id")
    assert len(frame) == N_LABELS and list(frame["rank"])[:3] == [1, 2, 3]


def test_unknown_and_padding_ids_map_to_the_zero_row(scorer):
    rows = scorer.items.rows_of(np.array([0, 7, 8, 7 * N_ITEMS, 10**9]))
    assert list(rows) == [0, 1, 0, N_ITEMS, 0]
    assert list(scorer.items.with_vector(np.array([7, 7 * N_ITEMS, 10**9]))) == [True, False, False]


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


@pytest.mark.slow
def test_cluster_scoring_loads_once_per_worker(s3_endpoint, tmp_path, bundle_folder, scorer):
    """A real multi-process cluster, in its own process so its executors get this environment."""
    boto3.client("s3").create_bucket(Bucket="models")
    version = ModelStore.from_uri("s3://models/btrnn").publish(bundle_folder)
    users, batch_size = 600, 25
    inputs = _inputs(np.random.default_rng(2), users)
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
    assert [p.name for p in cached] == [version]  # one verified copy, no temp leftovers
