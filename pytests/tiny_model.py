"""A tiny random-weight BTRNN bundle and inputs for it: scoring tests without training."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from btrnn.bundle import ModelBundle
from btrnn.items import ItemTable
from btrnn.model import ModelConfig, build_model

N_ITEMS, N_LABELS, TOP_K = 60, 40, 5


def write_bundle(folder: Path) -> Path:
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


def random_inputs(rng: np.random.Generator, rows: int) -> np.ndarray:
    inputs = rng.choice(np.arange(1, N_ITEMS + 1) * 7, size=(rows, 11))
    for row in range(rows):  # left padding of varying length
        inputs[row, : rng.integers(0, 11)] = 0
    return inputs
