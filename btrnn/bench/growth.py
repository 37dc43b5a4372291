"""`make bench-scale`: how each stage's wall time grows with the shop's size, measured.

At 1x, 4x and 16x a base shop (users and items both scaled; the generator's history mix), in a
fresh warehouse per size: the generator (Parquet), the data layer (`dbt build --selector
data_layer`), a slice of one training epoch (`btrnn train --max-steps`, the slice's share of the
epoch's batches), and scoring (`dbt build --selector scoring`: personalised, seed-item and feed
tables). Each stage runs alone, one after the other. The growth exponent b of a stage is the
least-squares slope of log(seconds) on log(size): seconds ~ a * size ** b (1: linear). Fixed
costs (JVM and dbt start, model load) pull b below 1 at small sizes; the table shows them.

Writes `<out>.json`, `<out>.md` (the README's table) and `<out>.svg`, with the machine's
description.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from btrnn.runtime import PROJECT_ROOT

STAGES = ("generate", "data_layer", "train_slice", "scoring")
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


@dataclass(frozen=True)
class GrowthConfig:
    base_users: int = 2_000
    base_items: int = 500
    factors: tuple[int, ...] = (1, 4, 16)
    units: int = 128  # the README's CPU recommendation
    batch_size: int = 256
    train_slice: float = 0.25  # share of an epoch's batches the training stage runs
    out: Path = PROJECT_ROOT / "reports" / "bench-scale"
    seed: int = 7


def fit_exponent(factors: Sequence[float], seconds: Sequence[float]) -> float:
    """Slope b of log(seconds) = log(a) + b log(factor), least squares."""
    slope, _ = np.polyfit(np.log(factors), np.log(seconds), 1)
    return float(slope)


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _train(command: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)
    if done.returncode:
        raise RuntimeError(f"btrnn train failed (exit {done.returncode}): see {log}")


def measure_size(config: GrowthConfig, factor: int, work: Path) -> dict[str, Any]:
    """Every stage at `factor` x the base shop, in its own state folder under `work`."""
    from btrnn.artifacts import ModelStore
    from btrnn.bundle import METADATA_FILE
    from btrnn.dbt_runner import run_dbt
    from btrnn.generate import configure, write_shop
    from btrnn.train import TrainConfig, train_command
    from btrnn.warehouse import read_table

    state, shop = work / f"x{factor}", work / f"x{factor}" / "shop"
    state.mkdir(parents=True)
    log = state / "run.log"
    env = {
        "BTRNN_STATE_DIR": str(state),
        "BTRNN_SCHEMA": "btrnn",
        "BTRNN_MODEL_URI": "",  # empty: <state>/models
        "DBT_TARGET_PATH": str(state / "target"),
        "DBT_LOG_PATH": str(state / "logs"),
    }
    shop_config = configure(
        "sample",
        items=config.base_items * factor,
        users=config.base_users * factor,
        seed=config.seed,
    )
    seconds = {"generate": _timed(lambda: write_shop(shop, shop_config, "parquet"))}
    files = {name: str(shop / f"{name}.parquet") for name in ("orders", "product_views")}
    variables = {"shop_files": {"format": "parquet", "products": str(shop / "products.parquet")}}
    variables["shop_files"].update(files)
    seconds["data_layer"] = _timed(
        lambda: run_dbt(["build", "--selector", "data_layer"], variables, env, capture=True)
    )
    windows = len(read_table("int_training_windows", root=state))
    epoch_steps = math.ceil(windows / config.batch_size)
    steps = max(1, round(config.train_slice * epoch_steps))
    model_uri = str(state / "models")
    training = TrainConfig(
        units=config.units, epochs=1, batch_size=config.batch_size, max_steps=steps
    )
    command = train_command(training, model_uri)
    seconds["train_slice"] = _timed(lambda: _train(command, {**os.environ, **env}, log))
    store = ModelStore.from_uri(model_uri)
    metrics = json.loads(store.read_file(store.current_version(), METADATA_FILE))["metrics"]
    seconds["scoring"] = _timed(
        lambda: run_dbt(["build", "--selector", "scoring"], variables, env, capture=True)
    )
    return {
        "factor": factor,
        "users": shop_config.n_users,
        "items": shop_config.n_items,
        "purchases": len(read_table("int_purchases_ranked", root=state)),
        "labels": len(read_table("int_label_vocabulary", root=state)),
        "windows": windows,
        "train_steps": steps,
        "epoch_steps": epoch_steps,
        "fit_seconds": metrics["seconds"],
        "step_seconds": metrics["step_seconds"],
        # The slice's steps scaled to the whole epoch, plus one validation ranking.
        "projected_epoch_seconds": round(
            metrics["step_seconds"] * epoch_steps / steps
            + metrics["seconds"]
            - metrics["step_seconds"],
            1,
        ),
        "train_examples_per_s": metrics["train_examples_per_s"],
        "train_peak_rss_mb": metrics["peak_rss_mb"],
        "seconds": {stage: round(value, 1) for stage, value in seconds.items()},
    }


def run(config: GrowthConfig, work: Path | None = None) -> dict[str, Any]:
    from btrnn.bench.machine import cpu_flags, cpu_name, library_versions, measure_matmul

    sizes = []
    with tempfile.TemporaryDirectory(prefix="btrnn-bench-scale-") as scratch:
        root = work or Path(scratch)
        for factor in config.factors:
            print(f"=== {factor}x: {config.base_users * factor:,} users", flush=True)
            sizes.append(measure_size(config, factor, root))
            print(json.dumps(sizes[-1]), flush=True)
    factors = [size["factor"] for size in sizes]
    stages = (*STAGES, "projected_epoch")
    series = {
        stage: [
            s["seconds"][stage] if stage in STAGES else s["projected_epoch_seconds"] for s in sizes
        ]
        for stage in stages
    }
    exponents = (
        {stage: round(fit_exponent(factors, values), 2) for stage, values in series.items()}
        if len(set(factors)) > 1
        else {}
    )
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {**asdict(config), "out": str(config.out)},
        "machine": {
            "cores": os.cpu_count(),
            "cpu": cpu_name(),
            "flags": cpu_flags(),
            "float32_matmul_gflops": asdict(measure_matmul()),
            "versions": library_versions(),
        },
        "sizes": sizes,
        "growth_exponent": exponents,
    }
    write_report(report, config.out)
    return report


def format_table(report: dict[str, Any]) -> str:
    """The Markdown table: one row per size, then the fitted exponents."""
    head = "| size | users | items | purchases | windows | generate s | data layer s | "
    head += "train slice s (steps) | projected epoch s | scoring s |"
    lines = [head, "| --- |" + " --- |" * 9]
    for s in report["sizes"]:
        t = s["seconds"]
        lines.append(
            f"| {s['factor']}x | {s['users']:,} | {s['items']:,} | {s['purchases']:,} | "
            f"{s['windows']:,} | {t['generate']:.1f} | {t['data_layer']:.1f} | "
            f"{t['train_slice']:.1f} ({s['train_steps']}/{s['epoch_steps']}) | "
            f"{s['projected_epoch_seconds']:.1f} | {t['scoring']:.1f} |"
        )
    if exponents := report["growth_exponent"]:
        cells = " | ".join(f"{exponents[stage]:.2f}" for stage in (*STAGES[:3], "projected_epoch"))
        lines.append(f"| growth exponent b | | | | | {cells} | {exponents['scoring']:.2f} |")
    machine = report["machine"]
    rate = machine["float32_matmul_gflops"]
    lines.append("")
    lines.append(
        f"{machine['cores']} cores, {machine['cpu']} ({', '.join(machine['flags']) or 'no'} "
        f"vector extensions); float32 matmul {rate['numpy_gflops']:.0f} GFLOP/s (numpy); "
        f"{machine['versions']}; {report['at']}"
    )
    return "\n".join(lines)


def _plot(report: dict[str, Any]) -> str:
    """Seconds per stage against size, both on log axes."""
    from btrnn.evaluation.report import svg_chart

    factors = [s["factor"] for s in report["sizes"]]
    values = {stage: [s["seconds"][stage] for s in report["sizes"]] for stage in STAGES}
    low = math.log10(min(min(v) for v in values.values()) / 1.5)
    high = math.log10(max(max(v) for v in values.values()) * 1.5)
    span = math.log10(max(factors) / min(factors)) or 1.0

    def point(factor: float, seconds: float) -> tuple[float, float]:
        return math.log10(factor / min(factors)) / span, (math.log10(seconds) - low) / (high - low)

    decades = range(math.floor(low), math.ceil(high) + 1)
    y_ticks = [((d - low) / (high - low), f"{10.0**d:g}") for d in decades if low <= d <= high]
    x_ticks = [(point(f, 1.0)[0], f"{f}x") for f in factors]
    exponents = report["growth_exponent"]
    series = [
        (
            f"{stage} (b {exponents.get(stage, float('nan')):.2f})",
            colour,
            [point(f, s) for f, s in zip(factors, values[stage], strict=True)],
            False,
        )
        for stage, colour in zip(STAGES, _COLOURS, strict=True)
    ]
    return svg_chart("btrnn bench-scale", "shop size", "seconds (log)", x_ticks, y_ticks, series)


def write_report(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    out.with_suffix(".md").write_text(format_table(report) + "\n")
    out.with_suffix(".svg").write_text(_plot(report) + "\n")


def _parser() -> argparse.ArgumentParser:
    defaults = GrowthConfig()
    parser = argparse.ArgumentParser(prog="python -m btrnn.bench.growth", description=__doc__)
    add = parser.add_argument
    for name in ("base_users", "base_items", "units", "batch_size", "seed"):
        default = getattr(defaults, name)
        add(f"--{name.replace('_', '-')}", type=int, default=default, help=f"(default {default})")
    add("--factors", default=",".join(map(str, defaults.factors)), help="sizes, x the base")
    add("--train-slice", type=float, default=defaults.train_slice, help="share of an epoch")
    add("--out", type=Path, default=defaults.out, help="report path without suffix")
    add("--work", type=Path, default=None, help="keep the warehouses here (default: a temp dir)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from btrnn.runtime import prepare_environment

    args = _parser().parse_args(argv)
    factors = tuple(int(part) for part in args.factors.split(",") if part)
    if not factors or min(factors) < 1 or not 0 < args.train_slice <= 1:
        print("--factors: positive integers; --train-slice: in (0, 1]", file=sys.stderr)
        return 2
    prepare_environment()
    config = GrowthConfig(
        base_users=args.base_users,
        base_items=args.base_items,
        factors=factors,
        units=args.units,
        batch_size=args.batch_size,
        train_slice=args.train_slice,
        out=args.out,
        seed=args.seed,
    )
    print(format_table(run(config, args.work)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
