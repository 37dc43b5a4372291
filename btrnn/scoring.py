"""Distributed scoring: each Spark Python worker loads a model version once, then scores batches.

The paper's method (Supplement 3) loads the Keras model into a global on each executor and calls
`predict` row by row inside a UDF. Here the global cache is the same idea, but rows arrive as
Arrow batches (`mapInPandas`), the top-K is taken from the logits inside one TensorFlow call, and
only K (product, probability) pairs per row leave the worker, never |I'|-wide rows.
"""

from __future__ import annotations

import gc
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from btrnn.artifacts import ArtifactError, ModelStore, default_cache_root
from btrnn.bundle import LABELS_FILE, ModelBundle
from btrnn.warehouse import default_model_uri

LOAD_LOG_ENV = "BTRNN_MODEL_LOAD_LOG"
CACHE_ENV = "BTRNN_MODEL_CACHE"

# The largest logits block one model call holds (rows x |I'| float32). At |I'| = 400,000 an
# Arrow batch of 1,024 rows would hold 1.6 GB per worker, several times the weights; calls of at
# most 256 MiB keep a worker near its weights + TensorFlow's runtime, and 160 rows x 102 x
# 400,000 is still a large matmul. Small catalogues are not split (10,000 labels: 6,710 rows).
LOGITS_BLOCK_BYTES = 256 * 2**20

_scorers: dict[tuple[str, str], Scorer] = {}
_resolved_versions: dict[tuple[str, str], str] = {}  # (model URI, dbt invocation) -> version
_checked: set[tuple[str, str, str]] = set()  # (model URI, version, dbt invocation) that fit
_lock = threading.Lock()
loads = 0  # model loads by this process: observable by tests and the benchmark


@dataclass(frozen=True)
class ScoringSettings:
    """What a scoring job needs on every worker; picklable, so it travels with the task."""

    model_uri: str
    model_version: str
    top_k: int = 20
    batch_size: int = 1024
    # The version's manifest checksum (ModelStore.manifest_checksum): what rescoring keys rows
    # by, so a re-published name or another store's same-named version never reuses them.
    model_checksum: str = ""

    @classmethod
    def resolve(
        cls,
        model_uri: str,
        model_version: str | None,
        top_k: object,
        batch_size: object,
        invocation_id: str | None = None,
    ) -> ScoringSettings:
        """Settings from dbt config strings; CURRENT is resolved here on the driver, once per
        dbt invocation, so one build never publishes tables of two model versions.

        An empty `model_uri` means the default store (BTRNN_MODEL_URI, else <state dir>/models).
        """
        model_uri = model_uri or default_model_uri()
        key = (model_uri, invocation_id or "")
        if model_version:
            version = model_version
        elif invocation_id and key in _resolved_versions:
            version = _resolved_versions[key]
        else:
            version = _resolved_versions[key] = resolve_version(model_uri, None)
        return cls(
            model_uri=model_uri,
            model_version=version,
            top_k=int(str(top_k)),
            batch_size=int(str(batch_size)),
            model_checksum=ModelStore.from_uri(model_uri).manifest_checksum(version),
        )


class Scorer:
    """One loaded model version: top-K next items for batches of 11-item inputs."""

    def __init__(self, folder: Path) -> None:
        import tensorflow as tf

        from btrnn.model import OUTPUT_LAYER
        from btrnn.scoring_head import ScoringHead, top_k

        bundle = ModelBundle.read(folder)
        self.items = bundle.items
        self.labels = bundle.labels
        self.config = bundle.config
        head = ScoringHead(bundle.load_model(folder), OUTPUT_LAYER)
        matrix = tf.constant(self.items.matrix)
        length = self.config.input_length

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, length], tf.int32),
                tf.TensorSpec([], tf.int32),
            ],
            reduce_retracing=True,
        )
        def forward(rows: tf.Tensor, k: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            logits = head.logits(tf.gather(matrix, rows))
            values, indices = top_k(logits, k)
            return values, indices, head.log_total(logits)

        @tf.function(input_signature=[tf.TensorSpec([None, length], tf.int32)])
        def all_logits(rows: tf.Tensor) -> tf.Tensor:
            return head.logits(tf.gather(matrix, rows))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, length], tf.int32),
                tf.TensorSpec([None], tf.int32),
                tf.TensorSpec([None], tf.int32),
            ],
            reduce_retracing=True,
        )
        def above_target(rows: tf.Tensor, target: tf.Tensor, excluded: tf.Tensor) -> tf.Tensor:
            # Output columns scored strictly above the target's, the excluded column not counted.
            logits = head.logits(tf.gather(matrix, rows))
            target_logit = tf.gather(logits, tf.maximum(target, 0), batch_dims=1)
            higher = logits > target_logit[:, None]
            above = tf.reduce_sum(tf.cast(higher, tf.int32), axis=1)
            skipped = tf.gather(higher, tf.maximum(excluded, 0), batch_dims=1) & (excluded >= 0)
            return above - tf.cast(skipped, tf.int32)

        self._forward = forward
        self._logits = all_logits
        self._above_target = above_target
        # Sorted once: label_columns runs on every batch.
        self._label_order = np.argsort(self.labels, kind="stable")
        self._sorted_labels = self.labels[self._label_order]

    def _parts(self, rows: int) -> list[slice]:
        """The rows of one batch cut into model calls of at most LOGITS_BLOCK_BYTES of logits."""
        step = max(16, LOGITS_BLOCK_BYTES // (4 * len(self.labels)))
        return [slice(start, start + step) for start in range(0, max(rows, 1), step)]

    def logits(self, inputs: np.ndarray) -> np.ndarray:
        """Every output column's logit (the evaluation's full ranking; scoring never needs it)."""
        rows = self.items.rows_of(inputs.reshape(-1)).reshape(inputs.shape)
        return self._logits(rows).numpy()

    def label_columns(self, product_ids: np.ndarray) -> np.ndarray:
        """Each product's output column, -1 for products outside I'."""
        ids = np.asarray(product_ids, np.int64)
        ordered = self._sorted_labels
        at = np.minimum(np.searchsorted(ordered, ids), len(ordered) - 1)
        return np.where(ordered[at] == ids, self._label_order[at], -1)

    def target_ranks(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        candidates: int,
        exclude: np.ndarray | None = None,
    ) -> np.ndarray:
        """Each row's rank of its target (SPEC): 1 + output items with a strictly higher logit.

        Counted inside the model call: only one number per row leaves it, never the logits. A
        target this model cannot recommend (outside I', or the row's `exclude` id) ranks last:
        `candidates`, the size of the evaluation's candidate set.
        """
        rows = self.items.rows_of(inputs.reshape(-1)).reshape(inputs.shape)
        target = self.label_columns(targets)
        excluded = np.full(len(target), -1) if exclude is None else self.label_columns(exclude)
        above = np.concatenate(
            [
                self._above_target(
                    rows[part], target[part].astype(np.int32), excluded[part].astype(np.int32)
                ).numpy()
                for part in self._parts(len(rows))
            ]
        )
        reachable = (target >= 0) & (target != excluded)
        return np.where(reachable, 1 + above, candidates).astype(np.int64)

    def top_k(
        self, inputs: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(product ids, probabilities), each (rows, k), best first; `exclude` ids are skipped.

        Rows with fewer than k candidates left after exclusion are padded with id 0.
        """
        extra = 0 if exclude is None else exclude.shape[1]
        want = min(k + extra, len(self.labels))
        rows = self.items.rows_of(inputs.reshape(-1)).reshape(inputs.shape)
        calls = [self._forward(rows[part], np.int32(want)) for part in self._parts(len(rows))]
        values, indices, log_total = (
            np.concatenate([c[i].numpy() for c in calls]) for i in range(3)
        )
        ids = self.labels[indices]
        probabilities = np.exp(values - log_total[:, None])
        if exclude is None:
            return ids[:, :k], probabilities[:, :k]
        keep = ~(ids[:, :, None] == exclude[:, None, :]).any(axis=2)
        # Kept entries first, in score order (stable sort); slots without one become padding.
        first = np.argsort(~keep, axis=1, kind="stable")[:, :k]
        kept = np.take_along_axis(keep, first, axis=1)
        out_ids = np.where(kept, np.take_along_axis(ids, first, axis=1), 0)
        out_scores = np.where(kept, np.take_along_axis(probabilities, first, axis=1), 0.0)
        return out_ids.astype(np.int64), out_scores.astype(np.float64)


def model_cache_root() -> Path:
    """BTRNN_MODEL_CACHE, else a private per-user folder (see `artifacts.default_cache_root`)."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else default_cache_root()


def get_scorer(model_uri: str, version: str) -> Scorer:
    """This process's scorer for a version: downloaded, verified and loaded on first use only.

    A worker holds one model: loading another version lets go of the one before. Spark reuses
    Python workers across jobs, so on a standing cluster (a daily scoring run, a weekly new
    version, evaluations) a worker would otherwise keep every version it ever scored with, about
    1 GB each at the paper's scale. A dbt run scores with one version (resolved once), so this
    never reloads within a run.
    """
    global loads
    key = (model_uri, version)
    with _lock:
        if key not in _scorers:
            _scorers.clear()
            gc.collect()  # the previous model's weights go before the next one's arrive
            folder = ModelStore.from_uri(model_uri).fetch(version, model_cache_root())
            _scorers[key] = Scorer(folder)
            loads += 1
            _record_load(model_uri, version)
        return _scorers[key]


def _record_load(model_uri: str, version: str) -> None:
    path = os.environ.get(LOAD_LOG_ENV)
    if not path:
        return
    # cwd: on a cluster, the executor's own folder, so the log says which worker loaded it.
    line = json.dumps(
        {
            "pid": os.getpid(),
            "cwd": os.getcwd(),
            "uri": model_uri,
            "version": version,
            "at": time.time(),
        }
    )
    with open(path, "a") as log:  # one short append per load: atomic on POSIX
        log.write(line + "\n")


def _long_format(keys: pd.Series, ids: np.ndarray, scores: np.ndarray, key: str) -> pd.DataFrame:
    """One row per (key, rank); padded slots (id 0: too few candidates) are dropped."""
    k = ids.shape[1]
    frame = pd.DataFrame(
        {
            key: np.repeat(keys.to_numpy(), k),
            "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), len(keys)),
            "product_id": ids.reshape(-1),
            "score": scores.reshape(-1),
        }
    )
    return frame[frame.product_id != 0]


def _with_inputs(
    batches: Iterable[pd.DataFrame], batch_size: int
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """Model batches of at most `batch_size` rows, with their inputs as one (rows, 11) array.

    Arrow batches are cut here rather than by the session's maxRecordsPerBatch, which would
    change the batch size of every model that runs after this one on the shared session.
    """
    for arrow_batch in batches:
        for start in range(0, len(arrow_batch), batch_size):
            batch = arrow_batch.iloc[start : start + batch_size]
            yield batch, np.stack(batch.input_product_ids.tolist()).astype(np.int64)


def _top_k_batches(
    key: str, settings: ScoringSettings, exclude_seed: bool
) -> Callable[[Iterable[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def score(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch, inputs in _with_inputs(batches, settings.batch_size):
            # Loaded at the first batch: a task with nothing to re-score loads no model.
            scorer = get_scorer(settings.model_uri, settings.model_version)
            if exclude_seed:  # seed scoring: the seed must have a vector, and is not its own rec
                seeds = batch[key].to_numpy().astype(np.int64)
                known = scorer.items.with_vector(seeds)
                batch, inputs, seeds = batch[known], inputs[known], seeds[known]
                ids, scores = scorer.top_k(inputs, settings.top_k, exclude=seeds[:, None])
            else:
                ids, scores = scorer.top_k(inputs, settings.top_k)
            yield _long_format(batch[key], ids, scores, key)

    return score


def _feed_batches(
    settings: ScoringSettings, steps: int
) -> Callable[[Iterable[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def score(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch, inputs in _with_inputs(batches, settings.batch_size):
            scorer = get_scorer(settings.model_uri, settings.model_version)
            fed = np.zeros((len(batch), 0), np.int64)
            frames = []
            for step in range(1, steps + 1):
                ids, scores = scorer.top_k(
                    inputs, settings.top_k, exclude=fed if step > 1 else None
                )
                frame = _long_format(batch.user_id, ids, scores, "user_id")
                frame.insert(1, "step", np.int32(step))
                frames.append(frame)
                # The step's top item becomes the newest input; earlier feed items are not repeated.
                inputs = np.concatenate([inputs[:, 1:], ids[:, :1]], axis=1)
                fed = np.concatenate([fed, ids[:, :1]], axis=1)
            yield pd.concat(frames, ignore_index=True)

    return score


def _schema(key: str, with_step: bool = False) -> str:
    step = "step int, " if with_step else ""
    return f"{key} bigint, {step}rank int, product_id bigint, score double"


def _publishable(frame: DataFrame, settings: ScoringSettings, scored_at: datetime) -> DataFrame:
    return frame.withColumns(
        {
            "recommender": F.lit("btrnn"),
            "model_version": F.lit(settings.model_version),
            "scored_at": F.lit(scored_at).cast("timestamp"),
        }
    )


def spread_for_scoring(inputs: DataFrame, partitions: object) -> DataFrame:
    """The scoring input over `partitions` tasks (dbt var scoring_partitions; 0 or empty: as read).

    A small Parquet table is one file, hence one task: one executor scores it while the others
    idle. Set it to the cluster's executor cores. Each executor Python worker still loads the model
    once, so more partitions than cores add no loads, only a shuffle of the inputs.
    """
    count = int(str(partitions or 0))
    return inputs.repartition(count) if count > 0 else inputs


def score_users(inputs: DataFrame, settings: ScoringSettings, scored_at: datetime) -> DataFrame:
    """Personalised recommendations: each user's next order from their last 11 purchases."""
    scored = inputs.select("user_id", "input_product_ids").mapInPandas(
        _top_k_batches("user_id", settings, exclude_seed=False), _schema("user_id")
    )
    return _publishable(scored, settings, scored_at)


def score_seeds(inputs: DataFrame, settings: ScoringSettings, scored_at: datetime) -> DataFrame:
    """Bought next after each seed item that has a vector (the others are the fallback's)."""
    key = "seed_product_id"
    scored = inputs.select(key, "input_product_ids").mapInPandas(
        _top_k_batches(key, settings, exclude_seed=True), _schema(key)
    )
    return _publishable(scored, settings, scored_at)


def score_feed(
    inputs: DataFrame, settings: ScoringSettings, steps: int, scored_at: datetime
) -> DataFrame:
    """The paper's multi-step feed: N steps per user, each step's top item fed back."""
    scored = inputs.select("user_id", "input_product_ids").mapInPandas(
        _feed_batches(settings, steps), _schema("user_id", with_step=True)
    )
    return _publishable(scored, settings, scored_at)


def _rank_batches(
    settings: ScoringSettings, candidates: int
) -> Callable[[Iterable[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def rank(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        scorer = get_scorer(settings.model_uri, settings.model_version)
        for batch, inputs in _with_inputs(batches, settings.batch_size):
            users = batch.user_id.to_numpy().astype(np.int64)
            targets = batch.target_product_id.to_numpy().astype(np.int64)
            personal = scorer.target_ranks(inputs, targets, candidates)
            # The seed-item use, as score_seeds calls it: seeds with a vector, never themselves.
            seeds = batch.seed_product_id.to_numpy().astype(np.int64)
            known = scorer.items.with_vector(seeds)
            seeded = np.zeros(0, np.int64)
            if known.any():
                seed_inputs = np.stack(batch.seed_input_product_ids[known].tolist())
                seeded = scorer.target_ranks(
                    seed_inputs.astype(np.int64), targets[known], candidates, seeds[known]
                )
            yield pd.DataFrame(
                {
                    "user_id": np.concatenate([users, users[known]]),
                    "recommender": ["btrnn"] * len(users) + ["btrnn_seed"] * int(known.sum()),
                    "rank": np.concatenate([personal, seeded]).astype(np.int32),
                }
            )

    return rank


def rank_test_targets(tests: DataFrame, settings: ScoringSettings, candidates: int) -> DataFrame:
    """The evaluation's ranks, on the executors: for each tested user (int_eval_test_inputs),
    the target's rank under BTRNN's personalised call and, where the seed has a vector, under
    its seed-item call. Columns: user_id, recommender, rank, model_version.
    """
    columns = ("user_id", "input_product_ids", "seed_product_id", "seed_input_product_ids")
    ranked = tests.select(*columns, "target_product_id").mapInPandas(
        _rank_batches(settings, candidates), "user_id bigint, recommender string, rank int"
    )
    return ranked.withColumn("model_version", F.lit(settings.model_version))


def resolve_version(model_uri: str, version: str | None) -> str:
    """The explicit version every worker will load (CURRENT resolved once, on the driver)."""
    return version or ModelStore.from_uri(model_uri).current_version()


def label_mismatch(model_labels: np.ndarray, warehouse_labels: np.ndarray) -> str | None:
    """What differs between a model's output items and the warehouse's I' (None: the same)."""
    only_model = np.setdiff1d(model_labels, warehouse_labels)
    only_warehouse = np.setdiff1d(warehouse_labels, model_labels)
    if not len(only_model) and not len(only_warehouse):
        return None
    return (
        f"the model has {len(model_labels)} output items, the warehouse's I' "
        f"(int_label_vocabulary) {len(warehouse_labels)}: {len(only_model)} only in the model "
        f"(e.g. {only_model[:5].tolist()}), {len(only_warehouse)} only in the warehouse "
        f"(e.g. {only_warehouse[:5].tolist()})"
    )


def word2vec_mismatch(model_version: str, warehouse_version: str) -> str | None:
    """What differs between the item vectors a model was trained with and the warehouse's."""
    if model_version == warehouse_version:
        return None
    return (
        f"the model was trained on Word2Vec version {model_version}, the warehouse's "
        f"item_features are version {warehouse_version} (new vectors, products or product ids)"
    )


def sequence_mismatch(model_inputs: int, sequence_length: object) -> str | None:
    """What differs between the inputs a model reads and the data layer's (None: the same)."""
    if sequence_length in (None, ""):
        return None
    inputs = int(str(sequence_length)) - 1
    if model_inputs == inputs:
        return None
    return (
        f"the model reads {model_inputs} purchases (sequence_length {model_inputs + 1}), this "
        f"data layer's inputs are {inputs} (sequence_length {inputs + 1})"
    )


def check_model_matches(
    settings: ScoringSettings,
    vocabulary: DataFrame,
    features: DataFrame,
    sequence_length: object = None,
) -> None:
    """Refuse, before any scoring, a model trained on another I', other item vectors or another
    sequence length than the warehouse's: its recommendations would name items the tables no
    longer know, miss new ones, or read inputs the model never saw.

    Reads only the version's verified labels and metadata files on the driver; the sequence
    length is checked first, before any Spark job.
    """
    from btrnn.bundle import CONFIG_FILE, METADATA_FILE
    from btrnn.items import ItemTable
    from btrnn.model import ModelConfig

    store = ModelStore.from_uri(settings.model_uri)
    config = ModelConfig.from_json(store.read_file(settings.model_version, CONFIG_FILE).decode())
    refused = (
        f"model version {settings.model_version} at {settings.model_uri} does not fit this "
        "warehouse: "
    )
    advice = (
        ". Train a model on it (`btrnn train`) or set model_version to one trained on this data."
    )
    if problem := sequence_mismatch(config.input_length, sequence_length):
        raise ArtifactError(refused + problem + advice)
    metadata = json.loads(store.read_file(settings.model_version, METADATA_FILE))
    raw = store.read_file(settings.model_version, LABELS_FILE)
    model_labels = np.load(io.BytesIO(raw), allow_pickle=False)
    warehouse_labels = vocabulary.select("product_id").toPandas().product_id.to_numpy()
    items = ItemTable.from_arrow(features.select("product_id", "features").toArrow())
    problems = [
        label_mismatch(model_labels, warehouse_labels),
        word2vec_mismatch(str(metadata.get("word2vec", {}).get("version")), items.version()),
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise ArtifactError(refused + "; ".join(found) + advice)


def settings_for_model(
    vocabulary: DataFrame,
    features: DataFrame,
    invocation_id: str | None,
    sequence_length: object = None,
    **config: Any,
) -> ScoringSettings:
    """A dbt scoring model's settings (`ScoringSettings.resolve` arguments from its config), with
    the model checked against the warehouse once per dbt invocation, not once per scoring model.

    The caller passes each `dbt.config.get("...")` literally: dbt only ships a Python model the
    config keys its source names.
    """
    settings = ScoringSettings.resolve(invocation_id=invocation_id, **config)
    key = (settings.model_uri, settings.model_version, invocation_id or "")
    if not invocation_id or key not in _checked:
        check_model_matches(settings, vocabulary, features, sequence_length)
        _checked.add(key)
    return settings
