"""The training program: warehouse windows -> Keras BTRNN -> one published model version.

Windows travel as 11 row numbers into the item matrix (44 bytes each); the 11 x 102 floats of
a window exist only inside a batch (gathered in the tf.data pipeline), never for all windows.

The best epoch is chosen as SPEC's evaluation protocol ranks: each user's validation target
(`int_validation_windows`) ranked by full ranking over I' after every epoch; its windows are
never trained on. Keras, TensorFlow and Spark are imported where used, so that the CLI can read
TrainConfig (the single source of the option defaults) without loading them.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from btrnn import __version__
from btrnn.evaluation.metrics import HIGHER_IS_BETTER, RankSummary, summarize, target_ranks
from btrnn.items import NORMALISED_ID, PADDING_ROW, ItemTable, list_column
from btrnn.loss import LOSSES, SAMPLED_ABOVE, LossSettings, resolve_loss
from btrnn.spec import judged_spec, read_data_layer_spec, spec_hash

if TYPE_CHECKING:
    import keras
    import tensorflow as tf
    from pyspark.sql import DataFrame, SparkSession

    from btrnn.model import ModelConfig

log = logging.getLogger(__name__)


LR_SCHEDULES = ("constant", "cosine")
# Validation targets ranked per epoch: all of Online Retail II's 4,162 and the sample's; a sample
# of a million users, whose NDCG@10 then has a standard error of about .002.
VALIDATION_USERS = 20_000


def _option(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; each field is a `btrnn train` option (and `btrnn evaluate`'s).

    Defaults come from the measured ablation on Online Retail II (docs/ablation.md); the paper's
    network is units=600 with the id feature, no embedding, no dropout.
    """

    units: int = _option(128, "LSTM units per layer (paper: 600)")
    epochs: int = _option(8, "most epochs; the best one by validation ranking is kept")
    batch_size: int = _option(256, "windows per batch")
    learning_rate: float = _option(1e-3, "Adam learning rate")
    lr_schedule: str = _option(
        "constant",
        "constant: the learning rate throughout; cosine: decayed to 0 over all epochs' steps",
        choices=LR_SCHEDULES,
    )
    patience: int = _option(2, "stop after this many epochs without a better validation metric")
    monitor: str = _option("ndcg_at_10", "validation metric that picks the best epoch")
    mask_padding: bool = _option(True, "mask the zero padding positions (paper: fed through)")
    id_feature: bool = _option(
        False, "keep feature [1] product_id / max id (paper: yes; noise for hashed ids)"
    )
    dropout: float = _option(0.0, "dropout on the LSTM inputs and before the output layer")
    recurrent_dropout: float = _option(0.0, "dropout on the LSTMs' recurrent state")
    label_smoothing: float = _option(
        0.0, "full loss: this share of the target's probability spread over all labels"
    )
    item_embedding: int = _option(
        0, "size of a trainable item embedding concatenated to the item vectors (0: none)"
    )
    seed_windows: bool = _option(
        True,
        "also train on each window's last purchase alone (10 pads, then it), the input the seed "
        "table scores (paper: no; every-prefix windows then show it only as a first purchase)",
    )
    item_output: bool = _option(
        True,
        "score labels in the item vectors' space: LSTM -> Dense(102) -> Dense(|I'|), each "
        "label's column starting at its item vector (paper: Dense(|I'|) on the LSTM)",
    )
    loss: str = _option(
        "auto",
        "full: softmax over all of I'; sampled: sampled softmax, cost per example independent "
        "of |I'|; auto: sampled when |I'| > --sampled-above",
        choices=LOSSES,
    )
    negatives: int = _option(2048, "sampled loss: negatives per batch")
    sampler_alpha: float = _option(
        0.75, "sampled loss: negatives drawn with q proportional to (label count + 1) ** alpha"
    )
    sampled_above: int = _option(SAMPLED_ABOVE, "--loss auto samples above this |I'|")
    max_steps: int = _option(
        0, "train at most this many batches per epoch (0: the whole epoch): a bounded run"
    )
    validation_users: int = _option(
        VALIDATION_USERS,
        "rank at most this many users' validation targets after each epoch, a seeded sample "
        "(0: all); at paper scale all would be 1M users x 0.4M logits per epoch",
    )
    seed: int = _option(42, "random seed of initialisation and shuffling")
    schema: str = _option("btrnn", "warehouse schema dbt built")

    def __post_init__(self) -> None:
        if self.monitor not in HIGHER_IS_BETTER:
            raise ValueError(f"monitor must be one of {sorted(HIGHER_IS_BETTER)}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}")
        if self.negatives < 1:
            raise ValueError("negatives must be at least 1")
        if self.max_steps < 0:
            raise ValueError("max_steps must be 0 (whole epochs) or more")
        if self.validation_users < 0:
            raise ValueError("validation_users must be 0 (all) or more")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError("label_smoothing must be in [0, 1)")

    def loss_settings(self, n_labels: int) -> LossSettings:
        """The loss a run over `n_labels` output columns trains with (`auto` resolved)."""
        return resolve_loss(
            self.loss, n_labels, self.negatives, self.sampler_alpha, self.sampled_above
        )


def add_train_options(parser: argparse.ArgumentParser, defaults: TrainConfig) -> None:
    """One option per TrainConfig field, defaulting to `defaults` (no number repeated here), and
    `--config`, a YAML file of the same settings. A flag given on the command line wins over the
    file, the file over `defaults` (the options default to None: "not given")."""
    parser.set_defaults(train_defaults=defaults)
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="YAML of these training settings (name: value, e.g. `units: 128`); give `btrnn "
        "evaluate` and `btrnn train` the same file, so the release gate judges the model that is "
        "published (flags override the file)",
    )
    for item in dataclasses.fields(TrainConfig):
        flag = "--" + item.name.replace("_", "-")
        value = getattr(defaults, item.name)
        help_text = f"{item.metadata['help']} (default: {value})"
        if isinstance(value, bool):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parser.add_argument(
                flag,
                type=type(value),
                default=None,
                choices=item.metadata["choices"],
                help=help_text,
            )


def read_train_config(path: Path) -> dict[str, Any]:
    """The settings of a `--config` file, each checked against its TrainConfig field."""
    import yaml

    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of training settings (e.g. `units: 128`)")
    defaults = asdict(TrainConfig())
    checked = {}
    for name, value in values.items():
        key = str(name).replace("-", "_")
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ValueError(f"{path}: unknown training setting {name!r} (known: {known})")
        kind = type(defaults[key])
        wrong = ValueError(f"{path}: {name} must be of type {kind.__name__}, got {value!r}")
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, int | float | str):
            raise wrong
        try:
            checked[key] = kind(value)
        except ValueError as error:
            raise wrong from error
    return checked


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig the options of `add_train_options` describe: defaults, then the
    `--config` file, then the flags given."""
    values = asdict(args.train_defaults)
    if args.config is not None:
        values.update(read_train_config(args.config))
    for item in dataclasses.fields(TrainConfig):
        given = getattr(args, item.name)
        if given is not None:
            values[item.name] = given
    return TrainConfig(**values)


def train_command(config: TrainConfig, model_uri: str | None = None) -> list[str]:
    """`python -m btrnn.cli train ...` for `config`: every field spelled out, nothing implied."""
    command = [sys.executable, "-m", "btrnn.cli", "train"]
    for item in dataclasses.fields(TrainConfig):
        flag = item.name.replace("_", "-")
        value = getattr(config, item.name)
        if isinstance(value, bool):
            command.append(f"--{flag}" if value else f"--no-{flag}")
        else:
            command += [f"--{flag}", str(value)]
    if model_uri is not None:
        command += ["--model-uri", model_uri]
    return command


@dataclass(frozen=True)
class Windows:
    """Windows as item-matrix rows, with their label columns and users."""

    inputs: np.ndarray  # (n, 11) int32 rows of ItemTable.matrix
    labels: np.ndarray  # (n,) int32 output columns; -1: the label is not in I'
    users: np.ndarray  # (n,) int64

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class TrainingData:
    windows: Windows
    validation: Windows
    items: ItemTable
    labels: np.ndarray  # product id of each output column
    word2vec: dict[str, Any]


def _windows(table: pa.Table, items: ItemTable) -> Windows:
    input_ids = list_column(table, "input_product_ids")
    return Windows(
        inputs=items.rows_of(input_ids.ravel()).reshape(input_ids.shape),
        labels=table.column("label_index").fill_null(-1).to_numpy().astype(np.int32),
        users=table.column("user_id").to_numpy().astype(np.int64),
    )


def with_seed_windows(windows: Windows) -> Windows:
    """`windows` and, for each whose input holds two or more purchases, its label after the last
    of them alone: the seed table's input (padding, then the seed).

    Without them a one-purchase input is, in every-prefix windows, always a user's first purchase
    (the seed table then answers "what follows a first purchase": youth seeds lead back to baby
    items on the sample), and in the paper's windows rare (a flat list of bestsellers).
    """
    longer = windows.inputs[:, -2] != PADDING_ROW
    seeds = np.zeros_like(windows.inputs[longer])
    seeds[:, -1] = windows.inputs[longer, -1]
    return Windows(
        inputs=np.concatenate([windows.inputs, seeds]),
        labels=np.concatenate([windows.labels, windows.labels[longer]]),
        users=np.concatenate([windows.users, windows.users[longer]]),
    )


def _labelled(windows: DataFrame, vocabulary: DataFrame, how: str) -> DataFrame:
    """Windows with the output column of their label (null with a left join outside I')."""
    joined = windows.join(vocabulary, windows.label_product_id == vocabulary.product_id, how)
    return joined.select(windows.user_id, "input_product_ids", "label_index")


def _held_out(windows: DataFrame, validation: DataFrame) -> DataFrame:
    """The validation windows to hold out of training: all but those that would leave a user
    with no training window at all.

    With evaluation_holdout no validation window is a training window, so all are kept. Without
    it, a validation window is the user's last training window; under paper windows a user with
    3 to 11 purchases has no other, and holding it out would drop the user from training (most
    users of the bundled sample): such users are trained on and not validated.
    """
    key = ["user_id", "label_rank"]
    is_training = validation.join(windows.select(*key), key, "left_semi")
    others = windows.join(is_training.select(*key), key, "left_anti").select("user_id").distinct()
    alone = is_training.join(others, "user_id", "left_anti").select("user_id")
    return validation.join(alone, "user_id", "left_anti")


def read_training_data(spark: SparkSession, schema: str) -> TrainingData:
    """Training and validation windows, I' and item vectors from the dbt project's tables.

    The validation windows' labels are never trained on: without `evaluation_holdout` they are
    each user's last window, which this read leaves out of the training windows (`_held_out`).
    """
    features = spark.table(f"{schema}.item_features").select("product_id", "features").toArrow()
    if features.num_rows == 0:
        raise ValueError(f"{schema}.item_features is empty: run `btrnn dbt build` first.")
    items = ItemTable.from_arrow(features)
    vocabulary = spark.table(f"{schema}.int_label_vocabulary").select("product_id", "label_index")
    labels = vocabulary.orderBy("label_index").toArrow().column("product_id").to_numpy()
    validation = _held_out(
        spark.table(f"{schema}.int_training_windows"),
        spark.table(f"{schema}.int_validation_windows"),
    )
    training = spark.table(f"{schema}.int_training_windows").join(
        validation.select("user_id", "label_rank"), ["user_id", "label_rank"], "left_anti"
    )
    windows = _labelled(training, vocabulary, "inner").toArrow()
    if windows.num_rows == 0:
        raise ValueError(f"{schema}.int_training_windows is empty: no user has 2+ purchases.")
    embeddings = spark.table(f"{schema}.item_embeddings").select("sentence_source").toArrow()
    sources = sorted(set(embeddings.column("sentence_source").to_pylist()))
    return TrainingData(
        windows=_windows(windows, items),
        validation=_windows(_labelled(validation, vocabulary, "left").toArrow(), items),
        items=items,
        labels=labels.astype(np.int64),
        word2vec={
            "version": items.version(),
            "sentence_source": ",".join(sources),
            "items_with_vector": int(items.has_vector.sum()),
        },
    )


def model_items(items: ItemTable, config: TrainConfig) -> ItemTable:
    """The item table the model is trained with and ships: SPEC's 102 numbers, adapted.

    Without the id feature, column [1] is zero (product_id / max id orders hashed codes at
    random, so it is noise). With an item embedding, a last column holds each item's row number
    (exact in float32 below 2**24 items), which the model turns into its embedding index.
    """
    matrix = items.matrix.copy()
    if not config.id_feature:
        matrix[:, NORMALISED_ID] = 0.0
    if config.item_embedding:
        index = np.arange(len(matrix), dtype=np.float32)[:, None]
        matrix = np.hstack([matrix, index])
    return ItemTable(items.item_ids, matrix, items.has_vector)


def make_dataset(
    windows: Windows, items: ItemTable, batch_size: int, shuffle: bool, seed: int = 0
) -> tf.data.Dataset:
    """Batches of (batch, 11, features) float32 inputs and label columns, gathered per batch."""
    import tensorflow as tf

    matrix = tf.constant(items.matrix)
    dataset = tf.data.Dataset.from_tensor_slices((windows.inputs, windows.labels))
    if shuffle:
        dataset = dataset.shuffle(min(len(windows), 500_000), seed=seed)
    return (
        dataset.batch(batch_size)
        .map(lambda rows, y: (tf.gather(matrix, rows), y), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def validation_sample(windows: Windows, users: int, seed: int) -> Windows:
    """At most `users` validation windows (one per user), a seeded sample; all when fewer or 0."""
    if not users or len(windows) <= users:
        return windows
    keep = np.sort(np.random.default_rng(seed).choice(len(windows), users, replace=False))
    return Windows(windows.inputs[keep], windows.labels[keep], windows.users[keep])


def validation_summary(
    model: keras.Model, windows: Windows, items: ItemTable, batch_size: int
) -> RankSummary:
    """Full ranking of each validation target over I' (a label outside I' ranks last).

    Ranked batch by batch: all validation windows' logits at once would be windows x |I'|
    floats (1.6 TB for a million users at |I'| = 400,000).
    """
    ranks = [
        target_ranks(model.predict_on_batch(inputs), labels.numpy().astype(np.int64))
        for inputs, labels in make_dataset(windows, items, max(batch_size, 1024), shuffle=False)
    ]
    n_labels = int(model.outputs[0].shape[-1])
    return summarize(np.concatenate(ranks), n_labels)


def _model_config(data: TrainingData, items: ItemTable, config: TrainConfig) -> ModelConfig:
    from btrnn.model import ModelConfig

    return ModelConfig(
        n_labels=len(data.labels),
        units=config.units,
        input_length=data.windows.inputs.shape[1],
        feature_length=items.feature_length,
        learning_rate=config.learning_rate,
        mask_padding=config.mask_padding,
        dropout=config.dropout,
        recurrent_dropout=config.recurrent_dropout,
        label_smoothing=config.label_smoothing,
        item_embedding=config.item_embedding,
        n_items=len(items.matrix) if config.item_embedding else 0,
        output_space=data.items.feature_length if config.item_output else 0,
    )


def output_init(data: TrainingData, items: ItemTable, model_config: ModelConfig) -> np.ndarray:
    """The output layer's starting kernel: each label's item vector (the model's, so without the
    id feature when it is off) as its column. Similar items start with similar scores, so a
    label learns from its neighbours' purchases before its own."""
    vectors = items.matrix[data.items.rows_of(data.labels), : model_config.output_space]
    return np.ascontiguousarray(vectors.T)


def fit(
    data: TrainingData, config: TrainConfig, metrics_log: Path | None = None
) -> tuple[keras.Model, ModelConfig, ItemTable, dict]:
    """Train epoch by epoch; after each, rank the validation targets and keep the best epoch.

    Stops after `patience` epochs without a better `monitor` and restores the best weights.
    Without validation windows (no user has 3+ purchases) every epoch runs and the last stays.
    With `metrics_log`, each epoch's row is appended to that CSV as soon as it is measured.
    """
    import keras

    from btrnn.model import build_model

    keras.utils.set_random_seed(config.seed)
    if config.seed_windows:
        data = dataclasses.replace(data, windows=with_seed_windows(data.windows))
    validation = validation_sample(data.validation, config.validation_users, config.seed)
    items = model_items(data.items, config)
    model_config = _model_config(data, items, config)
    settings = config.loss_settings(model_config.n_labels)
    if settings.loss == "sampled" and config.label_smoothing:
        raise ValueError("label smoothing needs the full loss (--loss full)")
    per_epoch = min(len(data.windows), config.max_steps * config.batch_size or len(data.windows))
    rate = learning_rate(config, -(-per_epoch // config.batch_size) * config.epochs)
    init = output_init(data, items, model_config) if model_config.output_space else None
    model = build_model(model_config, settings.loss == "full", init, rate)
    train = make_dataset(data.windows, items, config.batch_size, True, config.seed)
    if config.max_steps:
        train = train.take(config.max_steps)
    train_epoch = _epoch_trainer(model, settings, data, config, rate)
    sign = 1.0 if HIGHER_IS_BETTER[config.monitor] else -1.0
    curve: list[dict[str, float]] = []
    best_epoch, best_value, best_weights = 0, -np.inf, None
    started = time.perf_counter()
    stepping = 0.0  # seconds in training steps, validation ranking not included
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        point = {"epoch": epoch, "loss": train_epoch(train)}
        stepping += time.perf_counter() - epoch_started
        if len(validation):
            summary = validation_summary(model, validation, items, config.batch_size)
            point.update({k: float(v) for k, v in summary.as_dict().items() if k in _CURVE})
        point["seconds"] = round(time.perf_counter() - started, 1)
        curve.append(point)
        log.info("epoch %d: %s", epoch, _describe(point))
        if metrics_log is not None:
            _append_metrics_row(metrics_log, point)
        # Without validation windows the latest epoch is the best.
        value = sign * point[config.monitor] if config.monitor in point else float(epoch)
        if value > best_value:
            best_epoch, best_value, best_weights = epoch, value, model.get_weights()
        elif epoch - best_epoch >= config.patience:
            log.info(
                "no better validation %s for %d epochs: stopping",
                config.monitor,
                epoch - best_epoch,
            )
            break
    if best_weights is not None:
        model.set_weights(best_weights)
    seconds = time.perf_counter() - started
    metrics = {
        "curve": curve,
        "monitor": config.monitor,
        "best_epoch": best_epoch,
        "best_value": sign * best_value if len(validation) else None,
        "best": next(p for p in curve if p["epoch"] == best_epoch),
        "epochs_run": len(curve),
        "training_loss": settings.as_metadata(),  # what the curve's "loss" values are
        "train_windows": len(data.windows),
        "windows_per_epoch": per_epoch,  # fewer than train_windows with max_steps
        "validation_windows": len(data.validation),
        "validation_ranked": len(validation),  # fewer than validation_windows: a sample
        "seconds": round(seconds, 1),
        # Training windows seen per second, validation ranking included; the process's peak RSS.
        "examples_per_s": round(per_epoch * len(curve) / max(seconds, 1e-9), 1),
        # The training steps alone (what grows with the windows; validation grows with users).
        "step_seconds": round(stepping, 1),
        "train_examples_per_s": round(per_epoch * len(curve) / max(stepping, 1e-9), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    return model, model_config, items, metrics


def learning_rate(config: TrainConfig, steps: int) -> Any:
    """The run's learning rate: the constant, or a Keras schedule over all `steps` of training."""
    if config.lr_schedule == "constant":
        return config.learning_rate
    import keras

    return keras.optimizers.schedules.CosineDecay(config.learning_rate, max(steps, 1))


def _epoch_trainer(
    model: keras.Model,
    settings: LossSettings,
    data: TrainingData,
    config: TrainConfig,
    rate: Any,
) -> Callable[[tf.data.Dataset], float]:
    """One epoch of training with the run's loss; returns the epoch's mean training loss.

    The sampled loss's value estimates the full one only up to the sampling: compare losses of
    runs with the same loss settings only.
    """
    verbose = 1 if sys.stdout.isatty() else 2
    if settings.loss == "full":
        return lambda dataset: float(
            model.fit(dataset, epochs=1, verbose=verbose).history["loss"][-1]
        )
    from btrnn.sampled_training import SampledSoftmaxTrainer

    # The training windows' labels: the distribution a batch's true labels come from.
    counts = np.bincount(data.windows.labels, minlength=len(data.labels))
    trainer = SampledSoftmaxTrainer(model, settings, counts, rate, config.seed)
    return lambda dataset: trainer.fit_epoch(dataset, verbose)


_CURVE = ("ndcg_at_10", "ndcg_at_100", "hr_at_10", "hr_at_100", "mrr", "mean_rank_percentile")
METRICS_LOG_FIELDS = ("epoch", "loss", *_CURVE, "seconds")


def _append_metrics_row(path: Path, point: dict[str, float]) -> None:
    """One epoch's row of the training metrics CSV (a header first): readable while training."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=METRICS_LOG_FIELDS, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow(point)


def _describe(point: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in point.items() if k != "epoch")


def train_and_publish(
    spark: SparkSession,
    config: TrainConfig,
    model_uri: str,
    version: str | None = None,
    make_current: bool = True,
    metrics_log: Path | None = None,
) -> str:
    """Read, train, write the bundle and publish it; returns the new version."""
    import keras
    import tensorflow as tf

    from btrnn.artifacts import ModelStore
    from btrnn.bundle import ModelBundle

    store = ModelStore.from_uri(model_uri)
    # Read before training: if another run moves CURRENT meanwhile, ours does not replace it.
    expected_current = store.read_current() if make_current else None
    data = read_training_data(spark, config.schema)
    spec = judged_spec(read_data_layer_spec(spark, config.schema), config)
    log.info(
        "training on %d windows (%d validation), %d labels, %d items",
        len(data.windows),
        len(data.validation),
        len(data.labels),
        len(data.items.item_ids),
    )
    model, model_config, items, metrics = fit(data, config, metrics_log)
    metadata = {
        "btrnn_version": __version__,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_config": asdict(config),
        # What makes this model (btrnn.spec): the data layer's settings and the training's.
        "spec": spec,
        "spec_hash": spec_hash(spec),
        "feature_spec": {
            "input_length": model_config.input_length,
            "feature_length": data.items.feature_length,
            "model_feature_length": model_config.feature_length,
            "layout": "[has_vector, product_id / max_product_id, word2vec vector...]"
            + ("" if config.id_feature else "; [1] zeroed (id feature off)")
            + ("; last: item row number (embedding index)" if config.item_embedding else ""),
            "padding_product_id": 0,
            "max_product_id": int(data.items.item_ids.max()),
        },
        "word2vec": data.word2vec,
        "metrics": metrics,
        "labels": len(data.labels),
    }
    with tempfile.TemporaryDirectory(prefix="btrnn-bundle-") as folder:
        ModelBundle(model_config, data.labels, items, metadata).write(Path(folder), model)
        published = store.publish(
            Path(folder),
            version=version,
            make_current=make_current,
            expected_current=expected_current,
        )
    record_training(spark, config, spec, published, model_uri)
    return published


TRAININGS_TABLE = "model_trainings"


def record_training(
    spark: SparkSession, config: TrainConfig, spec: dict[str, Any], version: str, model_uri: str
) -> None:
    """A row of `<schema>.model_trainings`: the version, its spec and the spec's hash.

    The *_default views publish BTRNN only when the model that scored its table has the spec
    hash the release gate judged (macros/release_gate.sql reads this table).
    """
    from pyspark.sql.types import StringType, StructField, StructType

    fields = ("model_version", "model_uri", "trained_at", "training", "spec_hash")
    row = (
        version,
        model_uri,
        datetime.now(UTC).isoformat(timespec="seconds"),
        json.dumps(spec, sort_keys=True),
        spec_hash(spec),
    )
    table = f"{config.schema}.{TRAININGS_TABLE}"
    if spark.catalog.tableExists(table) and "spec_hash" not in spark.table(table).columns:
        spark.sql(f"alter table {table} add columns (spec_hash string)")  # an older btrnn's
    schema = StructType([StructField(name, StringType()) for name in fields])
    frame = spark.createDataFrame([row], schema)
    frame.write.mode("append").format("parquet").saveAsTable(table)
