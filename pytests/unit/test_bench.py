"""`btrnn bench`'s configuration and command line (the run itself: integration/test_bench_run)."""

from __future__ import annotations

import dataclasses

import pytest

from btrnn import cli
from btrnn.bench import BenchConfig
from btrnn.bench.scoring import synthetic_items
from btrnn.items import FLAG
from btrnn.model import ModelConfig


def test_row_counts_repeat_last_value() -> None:
    config = BenchConfig(labels=(10, 20, 30), rows=(7, 9), row_at_a_time_rows=(3,))
    model = ModelConfig(n_labels=10, units=4)
    assert [config.rows_for(i, model) for i in range(3)] == [7, 9, 9]
    assert [config.row_at_a_time_rows_for(i) for i in range(3)] == [3, 3, 3]


def test_default_rows_follow_the_flop_budget() -> None:
    small = ModelConfig(n_labels=10_000)
    large = ModelConfig(n_labels=137_667)
    config = BenchConfig()
    assert config.rows_for(0, small) > config.rows_for(1, large) >= 1_000


def test_cli_defaults_are_the_config_defaults() -> None:
    args = cli.build_parser().parse_args(["bench"])
    for option in dataclasses.fields(BenchConfig):
        if option.name != "matmul_repeats":  # not an option
            assert getattr(args, option.name) == getattr(BenchConfig(), option.name), option.name


def test_cli_parses_lists_and_rejects_what_it_cannot_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = cli.build_parser().parse_args(["bench", "--labels", "500,10_000", "--rows", "7"])
    assert (args.labels, args.rows) == ((500, 10_000), (7,))
    assert cli.main(["bench", "--labels", "3", "--top-k", "5"]) == 2
    assert cli.main(["bench", "--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_synthetic_items_all_have_a_vector() -> None:
    items = synthetic_items(5, ModelConfig.feature_length, seed=0)
    assert items.matrix[1:, FLAG].tolist() == [1.0] * 5
    assert items.has_vector.all()
