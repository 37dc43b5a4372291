"""The trainer without the warehouse: options, the item table it ships, epoch selection."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from toy_windows import SEQUENCE, toy_data, toy_items

from btrnn.cli import build_parser
from btrnn.evaluation.protocol import EVALUATION_TRAINING
from btrnn.items import NORMALISED_ID
from btrnn.train import (
    METRICS_LOG_FIELDS,
    TrainConfig,
    TrainingData,
    Windows,
    config_from_args,
    fit,
    model_items,
    train_command,
    validation_summary,
)


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
            loss="sampled",
            negatives=64,
            sampler_alpha=0.5,
            sampled_above=1_000,
            max_steps=12,
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


def test_one_config_file_drives_train_and_evaluate_and_flags_override_it(tmp_path):
    settings = tmp_path / "training.yml"
    settings.write_text("units: 96\nepochs: 4\nlearning-rate: 2e-3\nmask_padding: false\n")
    train = config_from_args(build_parser().parse_args(["train", "--config", str(settings)]))
    evaluate = config_from_args(
        build_parser().parse_args(["evaluate", "--config", str(settings), "--epochs", "2"])
    )
    assert (train.units, train.epochs, train.learning_rate, train.mask_padding) == (
        96, 4, 2e-3, False,
    )  # fmt: skip
    assert train.schema == "btrnn" and evaluate.schema == EVALUATION_TRAINING.schema
    assert (evaluate.units, evaluate.epochs) == (96, 2)  # the flag wins over the file
    explicit = build_parser().parse_args(["train", "--config", str(settings), "--units", "600"])
    assert config_from_args(explicit).units == 600  # even when it equals the default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unit: 96", "unknown training setting 'unit'"),
        ("units: many", "units must be of type int, got 'many'"),
        ("mask_padding: 1", "mask_padding must be of type bool, got 1"),
        ("- units", "expected a mapping of training settings"),
    ],
)
def test_a_bad_config_file_names_the_file_and_the_setting(tmp_path, text, message):
    settings = tmp_path / "training.yml"
    settings.write_text(text)
    with pytest.raises(ValueError, match=message) as failure:
        config_from_args(build_parser().parse_args(["train", "--config", str(settings)]))
    assert str(settings) in str(failure.value)


def test_unknown_monitor_is_refused():
    with pytest.raises(ValueError, match="monitor"):
        TrainConfig(monitor="accuracy")


def test_loss_options_parse_and_a_bad_loss_is_refused(capsys):
    args = ["train", "--loss", "sampled", "--negatives", "512", "--sampler-alpha", "1.0"]
    config = config_from_args(build_parser().parse_args([*args, "--sampled-above", "10"]))
    assert (config.loss, config.negatives, config.sampler_alpha) == ("sampled", 512, 1.0)
    assert config.sampled_above == 10
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--loss", "hierarchical"])
    assert "invalid choice: 'hierarchical'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="negatives"):
        TrainConfig(negatives=0)


def test_auto_loss_samples_only_above_the_threshold():
    config = TrainConfig()
    assert config.loss == "auto" and config.sampled_above == 50_000
    assert config.loss_settings(50_000).loss == "full"
    sampled = config.loss_settings(50_001)
    assert (sampled.loss, sampled.negatives, sampled.sampler_alpha) == ("sampled", 2048, 0.75)
    assert TrainConfig(loss="full").loss_settings(400_000).loss == "full"
    assert TrainConfig(loss="sampled").loss_settings(6).loss == "sampled"
    assert TrainConfig(sampled_above=5).loss_settings(6).as_metadata()["log_q_correction"]


def test_model_items_drop_the_id_feature_and_add_the_embedding_index():
    items = toy_items()
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


def test_fit_records_the_validation_curve_and_keeps_the_best_epoch():
    config = TrainConfig(units=8, epochs=4, batch_size=32, learning_rate=0.05, patience=4)
    model, _, _, metrics = fit(toy_data(), config)
    curve = metrics["curve"]
    assert [p["epoch"] for p in curve] == [1, 2, 3, 4]
    assert {"loss", "ndcg_at_10", "ndcg_at_100", "hr_at_10", "seconds"} <= set(curve[0])
    best = max(curve, key=lambda p: p["ndcg_at_10"])
    assert metrics["best_epoch"] == best["epoch"]
    assert metrics["best_value"] == pytest.approx(best["ndcg_at_10"])
    assert best["ndcg_at_10"] > 0.5, "the toy is learnable: last item -> its own column"


def test_fit_stops_after_patience_epochs_without_progress(tmp_path):
    # A learning rate of 0 never improves on epoch 1.
    config = TrainConfig(units=4, epochs=6, batch_size=64, learning_rate=0.0, patience=2)
    log = tmp_path / "logs" / "train.csv"
    _, _, _, metrics = fit(toy_data(), config, metrics_log=log)
    assert metrics["best_epoch"] == 1
    assert metrics["epochs_run"] == 3
    # The metrics log: a header, then one row per epoch run, as in the curve.
    rows = list(csv.DictReader(log.open()))
    assert list(rows[0]) == list(METRICS_LOG_FIELDS)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [float(r["loss"]) for r in rows] == pytest.approx([p["loss"] for p in metrics["curve"]])


def test_max_steps_bounds_every_epoch():
    config = TrainConfig(units=4, epochs=2, batch_size=32, patience=5, max_steps=3)
    model, _, _, metrics = fit(toy_data(), config)
    assert int(model.optimizer.iterations.numpy()) == 2 * 3  # 13 batches per epoch without it
    assert metrics["windows_per_epoch"] == 96 and metrics["train_windows"] == 400
    assert 0 < metrics["step_seconds"] <= metrics["seconds"]
    assert metrics["train_examples_per_s"] >= metrics["examples_per_s"]
    with pytest.raises(ValueError, match="max_steps"):
        TrainConfig(max_steps=-1)


def test_without_validation_every_epoch_runs_and_the_last_is_kept():
    data = toy_data()
    empty = Windows(
        data.validation.inputs[:0], data.validation.labels[:0], data.validation.users[:0]
    )
    config = TrainConfig(units=4, epochs=3, batch_size=64, patience=1, monitor="mean_rank")
    _, _, _, metrics = fit(TrainingData(data.windows, empty, data.items, data.labels, {}), config)
    assert metrics["epochs_run"] == 3 and metrics["best_epoch"] == 3


def test_embedding_model_trains_and_ships_its_index_column():
    config = TrainConfig(units=8, epochs=2, batch_size=32, learning_rate=0.05, item_embedding=4)
    model, model_config, items, _ = fit(toy_data(), config)
    assert model_config.item_embedding == 4 and model_config.n_items == len(items.matrix)
    assert model_config.feature_length == items.feature_length == 103
    rows = np.array([[0] * (SEQUENCE - 1) + [3]])
    assert model.predict(items.matrix[rows], verbose=0).shape == (1, len(items.item_ids))


def test_validation_ranks_batch_by_batch_as_over_all_logits_at_once():
    from btrnn.evaluation.metrics import summarize, target_ranks
    from btrnn.model import ModelConfig, build_model

    data = toy_data(2_100)  # three batches of 1,024
    windows = data.windows
    windows.labels[::7] = -1
    model = build_model(ModelConfig(n_labels=6, units=4), compile=False)
    logits = model.predict(data.items.matrix[windows.inputs], verbose=0)
    expected = summarize(target_ranks(logits, windows.labels.astype(np.int64)), 6)
    assert validation_summary(model, windows, data.items, 32) == expected
