"""The BTRNN network as code: LSTM -> LSTM -> Dense over the label vocabulary I'.

The Dense layer returns logits and the loss applies the softmax (`from_logits=True`): the same
model as the paper's Dense(softmax) + categorical cross-entropy, numerically stabler, and scoring
can take the top-K of the logits without a softmax over every column.

With `output_space` (the default of `btrnn train`), the LSTM's state is first projected into the
item vectors' space, and the output layer's column of each label starts at that label's item
vector: items bought in similar contexts start with similar scores, so rare labels learn from
their neighbours' purchases (on Online Retail II, NDCG@100 .137 -> .150 over 3 seeds, best epoch 3-5
instead of 8: docs/ablation.md). The output layer is then |I'| x 102 instead of |I'| x units.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

# The layer whose columns are I's labels (scoring splits the model there: btrnn.scoring_head).
OUTPUT_LAYER = "next_item_logits"


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and optimiser settings; saved with the weights so loading needs no pickle."""

    n_labels: int
    units: int = 600
    input_length: int = 11
    feature_length: int = 102
    learning_rate: float = 1e-3
    # Padding positions are all zeros; masking them lets the LSTM skip them (the paper feeds
    # them through). Off reproduces the paper exactly.
    mask_padding: bool = True
    # Dropout on the LSTM inputs and before the output layer (0: none, as the paper), and on the
    # LSTMs' recurrent state.
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    # > 0: the training loss spreads this share of the target's probability over all labels.
    label_smoothing: float = 0.0
    # > 0: the last input feature is the item's row number, looked up in a trainable embedding of
    # this size and concatenated to the other features; n_items rows (row 0 = padding).
    item_embedding: int = 0
    n_items: int = 0
    # > 0: the last LSTM's state is projected to this many numbers (the item vectors' space) and
    # the output layer scores each label from there; training starts each label's column at its
    # item vector (btrnn.train). 0: the paper's Dense(|I'|) on the LSTM's state.
    output_space: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls(**json.loads(text))


def build_model(
    config: ModelConfig,
    compile: bool = True,
    output_init: np.ndarray | None = None,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule | None = None,
) -> keras.Model:
    """The paper's 2-layer stateless LSTM over (11, features) item vectors, compiled with Adam.

    `output_init` (output_space x n_labels): the output layer's starting kernel, each label's
    item vector as its column (with `output_space`). `learning_rate`: a schedule to train with
    instead of the constant `config.learning_rate`.
    """
    inputs = keras.Input(shape=(config.input_length, config.feature_length), name="items")
    x: Any = inputs
    # Padding positions are all-zero rows (the embedding index of padding is 0 too).
    mask = keras.ops.any(keras.ops.not_equal(inputs, 0.0), axis=-1) if config.mask_padding else None
    if config.item_embedding:
        rows = keras.ops.cast(inputs[..., -1], "int32")
        embedded = keras.layers.Embedding(
            config.n_items, config.item_embedding, name="item_embedding"
        )(rows)
        x = keras.layers.Concatenate(name="features_and_embedding")([inputs[..., :-1], embedded])
    recurrent = {"dropout": config.dropout, "recurrent_dropout": config.recurrent_dropout}
    x = keras.layers.LSTM(config.units, return_sequences=True, name="lstm_1", **recurrent)(
        x, mask=mask
    )
    x = keras.layers.LSTM(config.units, name="lstm_2", **recurrent)(x, mask=mask)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="output_dropout")(x)
    if config.output_space:
        x = keras.layers.Dense(config.output_space, use_bias=False, name="to_item_space")(x)
    output = keras.layers.Dense(config.n_labels, name=OUTPUT_LAYER)
    logits = output(x)
    if output_init is not None:
        output.kernel.assign(output_init)
    model = keras.Model(inputs, logits, name="btrnn")
    if not compile:
        return model
    loss = (
        smoothed_crossentropy(config.label_smoothing)
        if config.label_smoothing
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate or config.learning_rate),
        loss=loss,
    )
    return model


def smoothed_crossentropy(epsilon: float) -> Any:
    """Cross-entropy against (1 - epsilon) on the label plus epsilon spread evenly over all
    labels, from integer labels and logits: Keras smooths only one-hot targets, which at
    |I'| = 400,000 would be 400 MB per batch of 256."""

    def loss(labels: Any, logits: Any) -> Any:
        labels = keras.ops.cast(keras.ops.reshape(labels, (-1,)), "int32")
        log_z = keras.ops.logsumexp(logits, axis=-1)
        label_logit = keras.ops.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
        mean_logit = keras.ops.mean(logits, axis=-1)
        return log_z - (1.0 - epsilon) * label_logit - epsilon * mean_logit

    return loss


def flops_per_row(config: ModelConfig) -> float:
    """Multiply-adds x 2 of one forward pass (for the benchmark's share of the machine's rate)."""
    gates = 4
    layer_1 = gates * (config.feature_length + config.item_embedding + config.units) * config.units
    layer_2 = gates * (config.units + config.units) * config.units
    if config.output_space:
        dense = (config.units + config.n_labels) * config.output_space
    else:
        dense = config.units * config.n_labels
    return 2.0 * (config.input_length * (layer_1 + layer_2) + dense)


def save_weights(model: keras.Model, path: Path) -> None:
    model.save_weights(str(path))


def load_model(config: ModelConfig, weights: Path) -> keras.Model:
    """Architecture from code, then weights: no deserialisation of code from the artifact."""
    model = build_model(config, compile=False)  # scoring needs no optimizer state
    model.load_weights(str(weights))
    return model
