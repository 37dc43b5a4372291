"""`python -m btrnn.bench.training`: training step time, full against sampled softmax, by |I'|.

For each |I'| and loss, a random-initialised model takes a few warm-up steps, then timed steps,
on random inputs and labels (the input pipeline is not measured). The full loss runs Keras' own
train step (`train_on_batch`, as `model.fit` does); the sampled loss runs SampledSoftmaxTrainer's.
Each row gives examples/s, the step's FLOP/s (forward + backward ~ 3 x forward) and their share
of the machine's float32 matmul rate, and the CPU other processes used meanwhile (the machine
may be shared). The point: the sampled step's time should not grow with |I'|.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from btrnn.bench.command import _int_list
from btrnn.bench.machine import CpuMeter, cpu_name, library_versions, measure_matmul
from btrnn.loss import LossSettings


@dataclass(frozen=True)
class TrainingBenchConfig:
    labels: tuple[int, ...] = (10_000, 400_000)
    losses: tuple[str, ...] = ("full", "sampled")
    units: int = 600
    batch_size: int = 256
    negatives: int = 2048
    sampler_alpha: float = 0.75
    warmup: int = 2
    steps: int = 5
    matmul_size: int = 2048
    seed: int = 0
    out: Path = Path("reports/bench-training.json")


@dataclass(frozen=True)
class StepResult:
    labels: int
    loss: str
    step_s: tuple[float, ...]
    flop_per_step: float
    others_cores: float  # over all timed rounds
    batch_size: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.step_s)

    @property
    def examples_per_s(self) -> float:
        return self.batch_size / self.median_s

    @property
    def gflops(self) -> float:
        return self.flop_per_step / self.median_s / 1e9


def step_flop(config: TrainingBenchConfig, labels: int, loss: str) -> float:
    """Forward + backward of one batch (3 x forward); sampled: the gathered columns only.

    The sampled step's logits cover the unique labels and negatives, at most batch + negatives.
    """
    from btrnn.model import ModelConfig, flops_per_row

    columns = labels if loss == "full" else min(labels, config.batch_size + config.negatives)
    return 3.0 * config.batch_size * flops_per_row(ModelConfig(columns, config.units))


def _batches(config: TrainingBenchConfig, labels: int, count: int) -> list[tuple[Any, Any]]:
    import tensorflow as tf

    rng = np.random.default_rng(config.seed)
    shape = (config.batch_size, 11, 102)
    return [
        (
            tf.constant(rng.standard_normal(shape, dtype=np.float32)),
            tf.constant(rng.integers(0, labels, config.batch_size, dtype=np.int32)),
        )
        for _ in range(count)
    ]


def make_step(config: TrainingBenchConfig, labels: int, loss: str) -> Callable[[int], float]:
    """A random-initialised model's training step on the i-th of a few random batches."""
    import keras

    from btrnn.model import ModelConfig, build_model
    from btrnn.sampled_training import SampledSoftmaxTrainer

    keras.utils.set_random_seed(config.seed)
    model = build_model(ModelConfig(n_labels=labels, units=config.units), compile=loss == "full")
    batches = _batches(config, labels, 3)
    if loss == "full":
        return lambda i: float(model.train_on_batch(*batches[i % len(batches)]))
    counts = np.random.default_rng(config.seed).zipf(1.3, labels)  # a long tail
    settings = LossSettings("sampled", config.negatives, config.sampler_alpha)
    trainer = SampledSoftmaxTrainer(model, settings, counts, 1e-3, config.seed)
    return lambda i: float(trainer.train_step(*batches[i % len(batches)]))


def measure_steps(config: TrainingBenchConfig) -> list[StepResult]:
    """Warm-up steps, then `steps` timed rounds of one step of each |I'| x loss.

    Rounds interleave the cases, so that load from other processes on a shared machine falls
    on all of them alike; each step is timed to its loss value on the host.
    """
    cases = [(n, loss) for n in config.labels for loss in config.losses]
    steps = {case: make_step(config, *case) for case in cases}
    for case, step in steps.items():
        for index in range(config.warmup):
            step(index)
        _progress(f"|I'| {case[0]:,} {case[1]}: warmed up")
    times: dict[tuple[int, str], list[float]] = {case: [] for case in cases}
    meter = CpuMeter()
    for index in range(config.steps):
        for case, step in steps.items():
            start = time.perf_counter()
            step(index)
            times[case].append(time.perf_counter() - start)
    others, _ = meter.others()
    return [
        StepResult(
            n, loss, tuple(times[n, loss]), step_flop(config, n, loss), others, config.batch_size
        )
        for n, loss in cases
    ]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(config: TrainingBenchConfig) -> dict[str, Any]:
    """Every |I'| x loss; the report as a JSON-ready dict (also written to config.out)."""
    matmul = measure_matmul(config.matmul_size)
    results = measure_steps(config)
    peak = matmul.best_gflops
    rows = [
        {
            **asdict(r),
            "median_s": r.median_s,
            "examples_per_s": r.examples_per_s,
            "gflops": r.gflops,
            "share_of_matmul": r.gflops / peak,
        }
        for r in results
    ]
    sampled = {r.labels: r for r in results if r.loss == "sampled"}
    ratio = None
    if len(sampled) >= 2:
        smallest, largest = sampled[min(sampled)], sampled[max(sampled)]
        ratio = largest.median_s / smallest.median_s
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {**asdict(config), "out": str(config.out)},
        "cpu": cpu_name(),
        "versions": library_versions(),
        "matmul_gflops": asdict(matmul),
        "results": rows,
        "sampled_step_ratio_largest_to_smallest": ratio,
    }
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(json.dumps(report, indent=2))
    return report


def format_report(report: dict[str, Any]) -> str:
    config = report["config"]
    lines = [
        f"training step: LSTM {config['units']} x 2, batch {config['batch_size']}, "
        f"{config['negatives']} negatives, {config['steps']} timed steps each",
        f"{report['cpu']}; {report['versions']}",
        f"float32 matmul: {report['matmul_gflops']['numpy_gflops']:.0f} GFLOP/s numpy, "
        f"{report['matmul_gflops']['tensorflow_gflops']:.0f} GFLOP/s TensorFlow",
        f"{'|I|':>9} {'loss':<8} {'s/step':>7} {'examples/s':>11} {'GFLOP/s':>8} "
        f"{'of matmul':>9} {'others':>7}",
    ]
    for row in report["results"]:
        lines.append(
            f"{row['labels']:>9,} {row['loss']:<8} {row['median_s']:>7.3f} "
            f"{row['examples_per_s']:>11.0f} {row['gflops']:>8.1f} "
            f"{row['share_of_matmul']:>9.1%} {row['others_cores']:>6.2f}c"
        )
    if report["sampled_step_ratio_largest_to_smallest"] is not None:
        lines.append(
            "sampled step time, largest |I'| / smallest: "
            f"{report['sampled_step_ratio_largest_to_smallest']:.2f}x (target <= 1.3x)"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    defaults = TrainingBenchConfig()
    parser = argparse.ArgumentParser(prog="python -m btrnn.bench.training", description=__doc__)
    add = parser.add_argument
    add("--labels", type=_int_list, default=defaults.labels, help="|I'| sizes, comma-separated")
    add("--losses", default=",".join(defaults.losses), help="full,sampled or one of them")
    for name in ("units", "batch_size", "negatives", "warmup", "steps", "matmul_size", "seed"):
        default = getattr(defaults, name)
        add(f"--{name.replace('_', '-')}", type=int, default=default, help=f"(default {default})")
    add("--sampler-alpha", type=float, default=defaults.sampler_alpha)
    add("--out", type=Path, default=defaults.out, help="JSON report (default %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from btrnn.runtime import prepare_environment

    args = _parser().parse_args(argv)
    losses = tuple(part for part in args.losses.split(",") if part)
    if not set(losses) <= {"full", "sampled"}:
        print("--losses: full and/or sampled", file=sys.stderr)
        return 2
    prepare_environment()
    config = replace(
        TrainingBenchConfig(),
        labels=args.labels,
        losses=losses,
        **{
            name: getattr(args, name)
            for name in (
                "units",
                "batch_size",
                "negatives",
                "sampler_alpha",
                "warmup",
                "steps",
                "matmul_size",
                "seed",
                "out",
            )
        },
    )
    print(format_report(run(config)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
