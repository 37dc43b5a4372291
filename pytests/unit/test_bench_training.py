"""The training benchmark on tiny sizes: its FLOP count, a whole run, its options."""

from __future__ import annotations

import json
from dataclasses import replace

from btrnn.bench.training import TrainingBenchConfig, format_report, main, run, step_flop


def test_the_sampled_step_flop_do_not_grow_with_the_labels():
    config = TrainingBenchConfig()
    assert step_flop(config, 10_000, "sampled") == step_flop(config, 400_000, "sampled")
    assert step_flop(config, 400_000, "full") > 5 * step_flop(config, 400_000, "sampled")


def test_a_tiny_run_reports_every_size(tmp_path):
    out = tmp_path / "training.json"
    config = TrainingBenchConfig(
        labels=(50, 80),
        losses=("sampled",),  # the full step is Keras' own train step
        units=4,
        batch_size=8,
        negatives=4,
        warmup=1,
        steps=2,
        matmul_size=64,
    )
    report = run(replace(config, out=out))
    written = json.loads(out.read_text())
    cases = [(row["labels"], row["loss"]) for row in written["results"]]
    assert cases == [(50, "sampled"), (80, "sampled")]
    assert all(len(row["step_s"]) == 2 and row["examples_per_s"] > 0 for row in written["results"])
    assert written["sampled_step_ratio_largest_to_smallest"] > 0
    assert "largest |I'| / smallest" in format_report(report)


def test_unknown_losses_are_refused(capsys):
    assert main(["--losses", "full,hierarchical"]) == 2
    assert "--losses" in capsys.readouterr().err
