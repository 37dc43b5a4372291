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

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls(**json.loads(text))


def build_model(config: ModelConfig, compile: bool = True) -> keras.Model:
    """The paper's 2-layer stateless LSTM over (11, 102) item vectors, compiled with Adam."""
    inputs = keras.Input(shape=(config.input_length, config.feature_length), name="items")
    x: Any = inputs
    if config.mask_padding:
        x = keras.layers.Masking(mask_value=0.0, name="padding")(x)
    x = keras.layers.LSTM(config.units, return_sequences=True, name="lstm_1")(x)
    x = keras.layers.LSTM(config.units, name="lstm_2")(x)
    logits = keras.layers.Dense(config.n_labels, name="next_item_logits")(x)
    model = keras.Model(inputs, logits, name="btrnn")
    if not compile:
        return model
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=10, name="top10")],
    )
    return model


def flops_per_row(config: ModelConfig) -> float:
    """Multiply-adds x 2 of one forward pass (for the benchmark's share of the machine's rate)."""
    gates = 4
    layer_1 = gates * (config.feature_length + config.units) * config.units
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
