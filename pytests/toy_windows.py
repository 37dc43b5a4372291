"""A learnable toy for the trainer without the warehouse: the label is the last input item."""

from __future__ import annotations

import numpy as np

from btrnn.items import NORMALISED_ID, ItemTable
from btrnn.train import TrainingData, Windows

SEQUENCE = 11


def toy_items(n: int = 6) -> ItemTable:
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n, 102)).astype(np.float32)
    features[:, 0] = 1.0
    features[:, NORMALISED_ID] = np.arange(1, n + 1) / n
    return ItemTable.from_rows(np.arange(10, 10 + n), features)


def toy_data(n_windows: int = 400) -> TrainingData:
    """Windows whose label is the column of the last input item; 50 of them validate."""
    items = toy_items()
    rng = np.random.default_rng(1)
    last = rng.integers(1, 7, size=n_windows)
    inputs = np.zeros((n_windows, SEQUENCE), np.int32)
    inputs[:, -1] = last
    inputs[:, -2] = rng.integers(1, 7, size=n_windows)
    windows = Windows(inputs, (last - 1).astype(np.int32), np.arange(n_windows))
    validation = Windows(inputs[:50], windows.labels[:50].copy(), np.arange(50))
    validation.labels[0] = -1  # a target outside I' ranks last, it does not break ranking
    return TrainingData(windows, validation, items, items.item_ids, {})
