"""The training program: warehouse windows -> Keras BTRNN -> one published model version.

Windows travel as 11 row numbers into the item matrix (44 bytes each); the 11 x 102 floats of
a window exist only inside a batch (gathered in the tf.data pipeline), never for all windows.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pyarrow as pa
import tensorflow as tf
from pyspark.sql import DataFrame, SparkSession

from btrnn import __version__
from btrnn.artifacts import ModelStore
from btrnn.bundle import ModelBundle
from btrnn.items import ItemTable
from btrnn.model import ModelConfig, build_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings. The paper's network is units=600; small data wants fewer."""

    units: int = 600
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    validation_share: float = 0.1
    patience: int = 2
    mask_padding: bool = True
    seed: int = 42
    schema: str = "btrnn"


@dataclass(frozen=True)
class Windows:
    """Training windows as item-matrix rows, with their label columns and users."""

    inputs: np.ndarray  # (n, 11) int32 rows of ItemTable.matrix
    labels: np.ndarray  # (n,) int32 output columns
    users: np.ndarray  # (n,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> Windows:
        return Windows(self.inputs[mask], self.labels[mask], self.users[mask])


@dataclass(frozen=True)
class TrainingData:
    windows: Windows
    items: ItemTable
    labels: np.ndarray  # product id of each output column
    word2vec: dict[str, Any]


def _list_column(table: pa.Table, name: str) -> np.ndarray:
    """A column of equal-length arrays as one (rows, width) numpy array."""
    column = table.column(name).combine_chunks()
    width = len(column[0]) if len(column) else 0
    return column.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)


def _collect(frame: DataFrame) -> pa.Table:
    return frame.toArrow()


def read_training_data(spark: SparkSession, schema: str) -> TrainingData:
    """Windows, I' and item vectors from the warehouse tables the dbt project built."""
    features = _collect(spark.table(f"{schema}.item_features").select("product_id", "features"))
    if features.num_rows == 0:
        raise ValueError(f"{schema}.item_features is empty: run `btrnn dbt build` first.")
    items = ItemTable.from_rows(
        features.column("product_id").to_numpy(),
        _list_column(features, "features"),
    )
    vocabulary_table = spark.table(f"{schema}.int_label_vocabulary")
    vocabulary = _collect(
        vocabulary_table.select("product_id", "label_index").orderBy("label_index")
    )
    labels = vocabulary.column("product_id").to_numpy().astype(np.int64)
    windows_table = spark.table(f"{schema}.int_training_windows")
    windows = _collect(
        windows_table.join(
            vocabulary_table, windows_table.label_product_id == vocabulary_table.product_id
        ).select(windows_table.user_id, "input_product_ids", "label_index")
    )
    if windows.num_rows == 0:
        raise ValueError(f"{schema}.int_training_windows is empty: no user has 2+ purchases.")
    input_ids = _list_column(windows, "input_product_ids")
    embeddings = _collect(spark.table(f"{schema}.item_embeddings").select("sentence_source"))
    sources = sorted(set(embeddings.column("sentence_source").to_pylist()))
    return TrainingData(
        windows=Windows(
            inputs=items.rows_of(input_ids.ravel()).reshape(input_ids.shape),
            labels=windows.column("label_index").to_numpy().astype(np.int32),
            users=windows.column("user_id").to_numpy().astype(np.int64),
        ),
        items=items,
        labels=labels,
        word2vec={
            "version": hashlib.sha256(items.matrix.tobytes()).hexdigest()[:16],
            "sentence_source": ",".join(sources),
            "items_with_vector": int(items.has_vector.sum()),
        },
    )


def split_by_user(windows: Windows, share: float, seed: int) -> tuple[Windows, Windows]:
    """Hold out whole users, so no user's windows sit on both sides."""
    users = np.unique(windows.users)
    rng = np.random.default_rng(seed)
    held_out = rng.choice(users, size=int(round(len(users) * share)), replace=False)
    is_validation = np.isin(windows.users, held_out)
    return windows.subset(~is_validation), windows.subset(is_validation)


def make_dataset(
    windows: Windows, items: ItemTable, batch_size: int, shuffle: bool, seed: int = 0
) -> tf.data.Dataset:
    """Batches of (batch, 11, 102) float32 inputs and label columns, gathered per batch."""
    matrix = tf.constant(items.matrix)
    dataset = tf.data.Dataset.from_tensor_slices((windows.inputs, windows.labels))
    if shuffle:
        dataset = dataset.shuffle(min(len(windows), 200_000), seed=seed)
    return (
        dataset.batch(batch_size)
        .map(lambda rows, y: (tf.gather(matrix, rows), y), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def fit(data: TrainingData, config: TrainConfig) -> tuple[keras.Model, ModelConfig, dict]:
    """Train with a user-level validation split and early stopping on validation loss."""
    keras.utils.set_random_seed(config.seed)
    train_windows, validation_windows = split_by_user(
        data.windows, config.validation_share, config.seed
    )
    model_config = ModelConfig(
        n_labels=len(data.labels),
        units=config.units,
        input_length=data.windows.inputs.shape[1],
        feature_length=data.items.feature_length,
        learning_rate=config.learning_rate,
        mask_padding=config.mask_padding,
    )
    model = build_model(model_config)
    validation = (
        make_dataset(validation_windows, data.items, config.batch_size, shuffle=False)
        if len(validation_windows)
        else None
    )
    callbacks = []
    if validation is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=config.patience, restore_best_weights=True
            )
        )
    started = time.perf_counter()
    history = model.fit(
        make_dataset(train_windows, data.items, config.batch_size, True, config.seed),
        validation_data=validation,
        epochs=config.epochs,
        callbacks=callbacks,
        verbose=1 if sys.stdout.isatty() else 2,
    )
    losses = history.history.get("val_loss") or history.history["loss"]
    metrics = {
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "best_epoch": int(np.argmin(losses)) + 1,
        "epochs_run": len(losses),
        "best_loss": float(np.min(losses)),
        "train_windows": len(train_windows),
        "validation_windows": len(validation_windows),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return model, model_config, metrics


def train_and_publish(
    spark: SparkSession,
    config: TrainConfig,
    model_uri: str,
    version: str | None = None,
    make_current: bool = True,
) -> str:
    """Read, train, write the bundle and publish it; returns the new version."""
    data = read_training_data(spark, config.schema)
    log.info(
        "training on %d windows, %d labels, %d items",
        len(data.windows),
        len(data.labels),
        len(data.items.item_ids),
    )
    model, model_config, metrics = fit(data, config)
    metadata = {
        "btrnn_version": __version__,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_config": asdict(config),
        "feature_spec": {
            "input_length": model_config.input_length,
            "feature_length": model_config.feature_length,
            "layout": "[has_vector, product_id / max_product_id, word2vec vector...]",
            "padding_product_id": 0,
            "max_product_id": int(data.items.item_ids.max()),
        },
        "word2vec": data.word2vec,
        "metrics": metrics,
        "labels": len(data.labels),
    }
    with tempfile.TemporaryDirectory(prefix="btrnn-bundle-") as folder:
        ModelBundle(model_config, data.labels, data.items, metadata).write(Path(folder), model)
        return ModelStore.from_uri(model_uri).publish(
            Path(folder), version=version, make_current=make_current
        )
