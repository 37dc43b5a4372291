"""The BTRNN network as code: LSTM -> LSTM -> Dense over the label vocabulary I'.

The Dense layer returns logits and the loss applies the softmax (`from_logits=True`): the same
model as the paper's Dense(softmax) + categorical cross-entropy, numerically stabler, and scoring
can take the top-K of the logits without a softmax over every column.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras


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
    # Dropout on the LSTM inputs and before the output layer (0: none, as the paper).
    dropout: float = 0.0
    # > 0: the last input feature is the item's row number, looked up in a trainable embedding of
    # this size and concatenated to the other features; n_items rows (row 0 = padding).
    item_embedding: int = 0
    n_items: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls(**json.loads(text))


def build_model(config: ModelConfig, compile: bool = True) -> keras.Model:
    """The paper's 2-layer stateless LSTM over (11, features) item vectors, compiled with Adam."""
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
    x = keras.layers.LSTM(
        config.units, return_sequences=True, dropout=config.dropout, name="lstm_1"
    )(x, mask=mask)
    x = keras.layers.LSTM(config.units, dropout=config.dropout, name="lstm_2")(x, mask=mask)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="output_dropout")(x)
    logits = keras.layers.Dense(config.n_labels, name="next_item_logits")(x)
    model = keras.Model(inputs, logits, name="btrnn")
    if not compile:
        return model
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def flops_per_row(config: ModelConfig) -> float:
    """Multiply-adds x 2 of one forward pass (for the benchmark's share of the machine's rate)."""
    gates = 4
    layer_1 = gates * (config.feature_length + config.item_embedding + config.units) * config.units
    layer_2 = gates * (config.units + config.units) * config.units
    dense = config.units * config.n_labels
    return 2.0 * (config.input_length * (layer_1 + layer_2) + dense)


def save_weights(model: keras.Model, path: Path) -> None:
    model.save_weights(str(path))


def load_model(config: ModelConfig, weights: Path) -> keras.Model:
    """Architecture from code, then weights: no deserialisation of code from the artifact."""
    model = build_model(config, compile=False)  # scoring needs no optimizer state
    model.load_weights(str(weights))
    return model
