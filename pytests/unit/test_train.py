"""The trainer without the warehouse: options, the item table it ships, epoch selection."""

from __future__ import annotations

import numpy as np
import pytest

from btrnn.cli import build_parser
from btrnn.evaluation.protocol import EVALUATION_TRAINING
from btrnn.items import NORMALISED_ID, ItemTable
from btrnn.train import (
    TrainConfig,
    TrainingData,
    Windows,
    config_from_args,
    fit,
    model_items,
    train_command,
)

SEQUENCE = 11


def _parse(command: list[str]) -> TrainConfig:
    """The TrainConfig `btrnn train` would run for a command from `train_command`."""
    assert command[1:4] == ["-m", "btrnn.cli", "train"]
    return config_from_args(build_parser().parse_args(command[3:]))


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(),
        EVALUATION_TRAINING,
        TrainConfig(
            units=7,
            epochs=3,
            batch_size=5,
            learning_rate=0.5,
            patience=9,
            monitor="hr_at_100",
            mask_padding=False,
            id_feature=True,
            dropout=0.25,
            item_embedding=16,
            seed=3,
            schema="elsewhere",
        ),
    ],
)
def test_train_command_round_trips_every_field(config):
    assert _parse(train_command(config, "/tmp/store")) == config


def test_cli_defaults_are_the_config_defaults():
    train = config_from_args(build_parser().parse_args(["train"]))
    evaluate = config_from_args(build_parser().parse_args(["evaluate"]))
    assert train == TrainConfig()
    assert evaluate == EVALUATION_TRAINING


def test_unknown_monitor_is_refused():
    with pytest.raises(ValueError, match="monitor"):
        TrainConfig(monitor="accuracy")


def _items(n: int = 6) -> ItemTable:
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n, 102)).astype(np.float32)
    features[:, 0] = 1.0
    features[:, NORMALISED_ID] = np.arange(1, n + 1) / n
    return ItemTable.from_rows(np.arange(10, 10 + n), features)


def test_model_items_drop_the_id_feature_and_add_the_embedding_index():
    items = _items()
    paper = model_items(items, TrainConfig(id_feature=True, item_embedding=0))
    assert np.array_equal(paper.matrix, items.matrix)
    plain = model_items(items, TrainConfig(item_embedding=0))
    assert not plain.matrix[:, NORMALISED_ID].any()
    assert np.array_equal(np.delete(plain.matrix, NORMALISED_ID, 1), np.delete(items.matrix, 1, 1))
    embedded = model_items(items, TrainConfig(item_embedding=4))
    assert not embedded.matrix[:, NORMALISED_ID].any()
    assert embedded.feature_length == 103
    assert np.array_equal(embedded.matrix[:, -1], np.arange(len(items.matrix)))
    assert not embedded.matrix[0].any(), "padding stays all zeros (masked)"


def _data(n_windows: int = 400) -> TrainingData:
    """A learnable toy: the label is the column of the last input item."""
    items = _items()
    rng = np.random.default_rng(1)
    last = rng.integers(1, 7, size=n_windows)
    inputs = np.zeros((n_windows, SEQUENCE), np.int32)
    inputs[:, -1] = last
    inputs[:, -2] = rng.integers(1, 7, size=n_windows)
    windows = Windows(inputs, (last - 1).astype(np.int32), np.arange(n_windows))
    validation = Windows(inputs[:50], windows.labels[:50].copy(), np.arange(50))
    validation.labels[0] = -1  # a target outside I' ranks last, it does not break ranking
    return TrainingData(windows, validation, items, items.item_ids, {})


def test_fit_records_the_validation_curve_and_keeps_the_best_epoch():
    config = TrainConfig(units=8, epochs=4, batch_size=32, learning_rate=0.05, patience=4)
    model, _, _, metrics = fit(_data(), config)
    curve = metrics["curve"]
    assert [p["epoch"] for p in curve] == [1, 2, 3, 4]
    assert {"loss", "ndcg_at_10", "ndcg_at_100", "hr_at_10", "seconds"} <= set(curve[0])
    best = max(curve, key=lambda p: p["ndcg_at_10"])
    assert metrics["best_epoch"] == best["epoch"]
    assert metrics["best_value"] == pytest.approx(best["ndcg_at_10"])
    assert best["ndcg_at_10"] > 0.5, "the toy is learnable: last item -> its own column"


def test_fit_stops_after_patience_epochs_without_progress():
    # A learning rate of 0 never improves on epoch 1.
    config = TrainConfig(units=4, epochs=6, batch_size=64, learning_rate=0.0, patience=2)
    _, _, _, metrics = fit(_data(), config)
    assert metrics["best_epoch"] == 1
    assert metrics["epochs_run"] == 3


def test_without_validation_every_epoch_runs_and_the_last_is_kept():
    data = _data()
    empty = Windows(
        data.validation.inputs[:0], data.validation.labels[:0], data.validation.users[:0]
    )
    config = TrainConfig(units=4, epochs=3, batch_size=64, patience=1, monitor="mean_rank")
    _, _, _, metrics = fit(TrainingData(data.windows, empty, data.items, data.labels, {}), config)
    assert metrics["epochs_run"] == 3 and metrics["best_epoch"] == 3


def test_embedding_model_trains_and_ships_its_index_column():
    config = TrainConfig(units=8, epochs=2, batch_size=32, learning_rate=0.05, item_embedding=4)
    model, model_config, items, _ = fit(_data(), config)
    assert model_config.item_embedding == 4 and model_config.n_items == len(items.matrix)
    assert model_config.feature_length == items.feature_length == 103
    rows = np.array([[0] * (SEQUENCE - 1) + [3]])
    assert model.predict(items.matrix[rows], verbose=0).shape == (1, len(items.item_ids))
