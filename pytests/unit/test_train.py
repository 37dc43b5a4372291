"""The trainer without the warehouse: options, the item table it ships, epoch selection."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
from toy_windows import SEQUENCE, toy_data, toy_items

from btrnn.cli import build_parser
from btrnn.demo import DEMO_TRAINING
from btrnn.evaluation.protocol import EVALUATION_SCHEMA
from btrnn.items import NORMALISED_ID
from btrnn.model import flops_per_row
from btrnn.spec import judged_spec, spec_hash
from btrnn.train import (
    METRICS_LOG_FIELDS,
    TrainConfig,
    TrainingData,
    Windows,
    _model_config,
    config_from_args,
    fit,
    model_items,
    output_init,
    train_command,
    validation_sample,
    validation_summary,
    with_seed_windows,
)


def _parse(command: list[str]) -> TrainConfig:
    """The TrainConfig `btrnn train` would run for a command from `train_command`."""
    assert command[1:4] == ["-m", "btrnn.cli", "train"]
    return config_from_args(build_parser().parse_args(command[3:]))


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(),
        TrainConfig(schema=EVALUATION_SCHEMA, seed_windows=False),
        TrainConfig(
            units=7,
            epochs=3,
            batch_size=5,
            learning_rate=0.5,
            patience=9,
            monitor="hr_at_100",
            mask_padding=False,
            id_feature=True,
            lr_schedule="cosine",
            dropout=0.25,
            recurrent_dropout=0.1,
            label_smoothing=0.05,
            item_embedding=16,
            item_output=False,
            loss="sampled",
            negatives=64,
            sampler_alpha=0.5,
            sampled_above=1_000,
            max_steps=12,
            validation_users=7,
            seed=3,
            schema="elsewhere",
        ),
    ],
)
def test_train_command_round_trips_every_field(config):
    assert _parse(train_command(config, "/tmp/store")) == config


def test_demo_train_and_evaluate_resolve_to_one_spec():
    """One set of model defaults: `btrnn train`, `btrnn evaluate` and the demo train the same
    model (the evaluation in its own schema), so the gate judges what they publish."""
    train = config_from_args(build_parser().parse_args(["train"]))
    evaluate = config_from_args(build_parser().parse_args(["evaluate"]))
    assert train == TrainConfig() == DEMO_TRAINING
    assert evaluate == replace(TrainConfig(), schema=EVALUATION_SCHEMA)
    data_layer = {"sequence_length": 12, "every_prefix_windows": True}
    hashes = {spec_hash(judged_spec(data_layer, c)) for c in (train, evaluate, DEMO_TRAINING)}
    assert len(hashes) == 1


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
    assert train.schema == "btrnn" and evaluate.schema == EVALUATION_SCHEMA
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
    # 400 windows and a seed window for each (every toy input holds two purchases)
    assert metrics["windows_per_epoch"] == 96 and metrics["train_windows"] == 800
    assert 0 < metrics["step_seconds"] <= metrics["seconds"]
    assert metrics["train_examples_per_s"] >= metrics["examples_per_s"]
    with pytest.raises(ValueError, match="max_steps"):
        TrainConfig(max_steps=-1)


def test_validation_ranks_a_seeded_sample_of_at_most_validation_users():
    data = toy_data()
    sample = validation_sample(data.validation, 20, seed=5)
    assert len(sample) == 20 and len(set(sample.users)) == 20
    assert set(sample.users) <= set(data.validation.users)
    again = validation_sample(data.validation, 20, seed=5)
    assert np.array_equal(sample.users, again.users)  # reproducible
    assert validation_sample(data.validation, 0, seed=5) is data.validation
    assert validation_sample(data.validation, 500, seed=5) is data.validation
    config = TrainConfig(units=4, epochs=1, batch_size=64, validation_users=20)
    _, _, _, metrics = fit(data, config)
    assert (metrics["validation_windows"], metrics["validation_ranked"]) == (50, 20)
    with pytest.raises(ValueError, match="validation_users"):
        TrainConfig(validation_users=-1)


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


def test_item_output_starts_each_label_at_its_item_vector_and_trains_from_there():
    """LSTM -> Dense(102) -> Dense(|I'|): the output kernel's column of each label is, before
    training, the label's item vector as the model sees it (the id feature zeroed)."""
    from btrnn.model import build_model

    data = toy_data()
    config = TrainConfig(units=8, epochs=1, batch_size=32, learning_rate=0.05)
    assert config.item_output
    items = model_items(data.items, config)
    model_config = _model_config(data, items, config)
    assert model_config.output_space == data.items.feature_length == 102
    init = output_init(data, items, model_config)
    vectors = data.items.matrix[data.items.rows_of(data.labels)].copy()
    vectors[:, NORMALISED_ID] = 0.0
    assert np.array_equal(init, vectors.T)
    model = build_model(model_config, output_init=init)
    assert model.get_layer("to_item_space").kernel.shape == (8, 102)
    assert np.array_equal(model.get_layer("next_item_logits").kernel.numpy(), init)
    trained, trained_config, _, metrics = fit(data, config)
    assert trained_config == model_config
    assert not np.array_equal(trained.get_layer("next_item_logits").kernel.numpy(), init)
    assert metrics["best"]["ndcg_at_10"] > 0.5
    plain = _model_config(data, items, TrainConfig(item_output=False))
    assert plain.output_space == 0
    # A row's scoring at paper scale: the output layer (600 + 400k) x 102 instead of 600 x 400k,
    # about a third of the paper network's work in all (the LSTMs unchanged).
    assert flops_per_row(replace(model_config, n_labels=400_000, units=600)) < 0.35 * (
        flops_per_row(replace(plain, n_labels=400_000, units=600))
    )


def test_cosine_schedule_decays_to_zero_over_the_run_and_smoothing_needs_the_full_loss():
    config = TrainConfig(
        units=4, epochs=2, batch_size=64, patience=5, lr_schedule="cosine", label_smoothing=0.1
    )
    model, model_config, _, _ = fit(toy_data(), config)
    steps = int(model.optimizer.iterations.numpy())
    assert steps == 2 * 13  # 400 windows and their 400 seed windows in batches of 64
    rate = model.optimizer.learning_rate
    assert float(rate) == pytest.approx(0.0, abs=1e-6)
    assert model_config.label_smoothing == 0.1
    with pytest.raises(ValueError, match="label smoothing needs the full loss"):
        fit(toy_data(), replace(config, loss="sampled", negatives=3))
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="step")
    with pytest.raises(ValueError, match="label_smoothing"):
        TrainConfig(label_smoothing=1.0)


def test_smoothed_crossentropy_is_keras_one_hot_smoothing_from_integer_labels():
    import keras

    from btrnn.model import smoothed_crossentropy

    logits = np.random.default_rng(0).normal(size=(4, 7)).astype(np.float32)
    labels = np.array([1, 0, 6, 3])
    expected = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.2, reduction=None
    )(keras.ops.one_hot(labels, 7), logits)
    got = smoothed_crossentropy(0.2)(labels, logits)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5)


def test_recurrent_dropout_reaches_both_lstms():
    from btrnn.model import ModelConfig, build_model

    model = build_model(ModelConfig(n_labels=6, units=4, recurrent_dropout=0.3), compile=False)
    for name in ("lstm_1", "lstm_2"):
        assert model.get_layer(name).get_config()["recurrent_dropout"] == 0.3


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


def test_seed_windows_repeat_each_longer_window_on_its_last_purchase_alone():
    inputs = np.array(
        [[0, 0, 0, 5], [0, 0, 3, 4], [1, 2, 3, 6]], dtype=np.int32
    )  # one purchase, two, four
    windows = Windows(inputs, np.array([7, 8, 9], np.int32), np.array([1, 2, 3]))
    out = with_seed_windows(windows)
    assert out.inputs.tolist() == [*inputs.tolist(), [0, 0, 0, 4], [0, 0, 0, 6]]
    assert out.labels.tolist() == [7, 8, 9, 8, 9]
    assert out.users.tolist() == [1, 2, 3, 2, 3]
    _, _, _, metrics = fit(toy_data(), TrainConfig(units=4, epochs=1, seed_windows=False))
    assert metrics["train_windows"] == 400


@pytest.mark.parametrize("words", [["--lr", "0.1"], ["--epoch", "3"]])
def test_an_abbreviated_option_is_an_error_not_another_option(words, capsys):
    from btrnn.cli import main

    assert main(["train", *words]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
