"""`btrnn bench`'s options and their run: btrnn.cli registers them on its `bench` subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from btrnn.bench.report import format_report
from btrnn.bench.scoring import OUTPUT_LAYERS, BenchConfig, run_benchmark


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _csv(values: Sequence[int]) -> str:
    return ",".join(str(value) for value in values)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register every benchmark option on `parser`; the defaults are BenchConfig()'s."""
    defaults = BenchConfig()
    add = parser.add_argument
    add(
        "--labels",
        type=_int_list,
        default=defaults.labels,
        help=f"|I'| sizes, comma-separated (default {_csv(defaults.labels)})",
    )
    add(
        "--rows",
        type=_int_list,
        default=defaults.rows,
        help="batched rows per |I'| (one value, or one per --labels; default: ~1.5 TFLOP of "
        "model work per |I'|, 1000 to 50000 rows)",
    )
    add(
        "--row-at-a-time-rows",
        type=_int_list,
        default=defaults.row_at_a_time_rows,
        help="rows for the row-at-a-time UDF, per |I'| "
        f"(default {_csv(defaults.row_at_a_time_rows)})",
    )
    add("--units", type=int, default=defaults.units, help="LSTM units (default %(default)s)")
    add(
        "--output-layer",
        choices=OUTPUT_LAYERS,
        default=defaults.output_layer,
        help="item: btrnn train's default network (LSTM -> Dense(102) -> Dense(|I'|)); dense: "
        "the paper's Dense(|I'|) on the LSTM (default %(default)s)",
    )
    add(
        "--items",
        type=int,
        default=defaults.items,
        help="items in the item table (default %(default)s)",
    )
    add(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="Arrow batch, rows per call (default %(default)s)",
    )
    add(
        "--top-k",
        type=int,
        default=defaults.top_k,
        help="recommendations per user (default %(default)s)",
    )
    add("--master", default=defaults.master, help="Spark master (default %(default)s)")
    add(
        "--partitions",
        type=int,
        default=defaults.partitions,
        help="input partitions (default: 2 per task slot)",
    )
    add(
        "--row-method",
        choices=("predict", "predict_on_batch"),
        default=defaults.row_method,
        help="Keras call of the row-at-a-time UDF (default %(default)s, as the paper)",
    )
    add(
        "--tf-threads",
        type=int,
        default=defaults.tf_threads,
        help="TF intra-op threads per Python worker (default: TensorFlow's own)",
    )
    add(
        "--matmul-size",
        type=int,
        default=defaults.matmul_size,
        help="side of the float32 matmul that measures the machine (default %(default)s)",
    )
    add(
        "--repeats",
        type=int,
        default=defaults.repeats,
        help="timed passes per path and |I'|, the best is reported (default %(default)s)",
    )
    add("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    add(
        "--out",
        type=Path,
        default=defaults.out,
        help="JSON of the figures and issue 7's targets (default %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark that parsed `args` describe and print its report.

    0 when every user got K recommendations on both paths, 1 when not, 2 for invalid options.
    """
    from btrnn.runtime import prepare_environment

    problem = None
    if args.top_k > min(args.labels):
        problem = f"--top-k {args.top_k} is more than the smallest --labels"
    elif min(args.repeats, args.units, args.items, args.batch_size, args.matmul_size) < 1:
        problem = "--repeats, --units, --items, --batch-size and --matmul-size must be >= 1"
    if problem:
        print(f"btrnn bench: error: {problem}", file=sys.stderr)
        return 2
    prepare_environment()
    config = BenchConfig(
        labels=args.labels,
        rows=args.rows,
        row_at_a_time_rows=args.row_at_a_time_rows,
        units=args.units,
        output_layer=args.output_layer,
        items=args.items,
        batch_size=args.batch_size,
        top_k=args.top_k,
        master=args.master,
        partitions=args.partitions,
        row_method=args.row_method,
        tf_threads=args.tf_threads,
        repeats=args.repeats,
        matmul_size=args.matmul_size,
        seed=args.seed,
        out=args.out,
    )
    report = run_benchmark(config)
    print(format_report(report), flush=True)
    if problems := report.failures():
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0
