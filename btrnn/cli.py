"""The `btrnn` command: one subcommand per job of the project."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from btrnn import __version__
from btrnn.bench import add_arguments as add_bench_arguments
from btrnn.cluster import add_parser as add_cluster_parser
from btrnn.generate import SAMPLE_DIR, GeneratorConfig
from btrnn.models_command import add_parser as add_models_parser
from btrnn.native_logs import quiet_native_logs
from btrnn.runtime import prepare_environment, state_dir
from btrnn.warehouse import default_model_uri

# The commands that load TensorFlow, here or in their dbt runs' Spark workers (btrnn.native_logs).
QUIET_NATIVE_LOGS = ("train", "evaluate", "demo", "bench", "dbt")
# `btrnn evaluate --fail-on-gate`: BTRNN lost to a baseline (1 is any other error, 2 bad usage).
EXIT_GATE_FAILED = 3


def _cmd_dbt(dbt_args: list[str]) -> int:
    from btrnn.dbt_runner import DbtFailed, run_dbt

    try:
        run_dbt(dbt_args)
    except DbtFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from btrnn.generate import configure, generate, write_shop
    from btrnn.generate.stream import DEFAULT_CHUNK_USERS

    sizes = (args.items, args.order_lines, args.chunk_users)
    in_memory = args.preset == "sample" and args.format == "csv" and sizes == (None,) * 3
    if args.out is None and not in_memory:
        print(
            "btrnn generate: --out is required beyond the sample (e.g. /tmp/shop)", file=sys.stderr
        )
        return 2
    out = SAMPLE_DIR if args.out is None else args.out
    config = configure(
        args.preset, args.items, args.users, args.order_lines, args.views_per_purchase, args.seed
    )
    if in_memory:  # the engine that wrote data/sample, byte for byte
        counts = generate(out, config)
    else:
        chunk = args.chunk_users or DEFAULT_CHUNK_USERS
        print(
            f"{config.n_items:,} items ({config.n_teams:,} teams x 4 stages x "
            f"{config.products_per_team_stage} + {config.new_arrivals:,} new), "
            f"{config.n_users:,} users, ~{config.expected_order_lines():,.0f} order lines; "
            f"{chunk:,} users per chunk",
            file=sys.stderr,
        )
        # A bar on a terminal only (disable=None): logs and CI output stay line by line.
        with tqdm(total=config.n_users, unit=" users", unit_scale=True, disable=None) as bar:
            counts = write_shop(out, config, args.format, chunk, on_chunk=bar.update)
    for name, rows in counts.items():
        print(f"{name}: {rows} rows -> {out / name}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import logging

    from btrnn.spark import get_session
    from btrnn.train import config_from_args, train_and_publish

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = config_from_args(args)
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    metrics_log = Path(args.metrics_log or state_dir() / "logs" / f"train-{started}.csv")
    print(f"training metrics per epoch: {metrics_log}")
    spark = get_session("btrnn-train")
    version = train_and_publish(
        spark,
        config,
        args.model_uri,
        args.version,
        make_current=not args.no_make_current,
        metrics_log=metrics_log,
    )
    print(f"published model version {version} to {args.model_uri}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from btrnn.demo import run_demo

    return run_demo()


def dbt_var(text: str) -> tuple[str, object]:
    """`--var NAME=VALUE`: one dbt var, its value read as YAML (20 -> int, true -> bool)."""
    import yaml

    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write NAME=VALUE, e.g. sequence_length=20")
    return name.strip(), yaml.safe_load(value)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import yaml

    from btrnn.evaluation.protocol import EvaluationConfig, run_ablation, run_evaluation
    from btrnn.train import config_from_args

    variables = yaml.safe_load(Path(args.vars_file).read_text()) if args.vars_file else {}
    config = EvaluationConfig(
        variables={**(variables or {}), **dict(args.var)},
        train=config_from_args(args),
        seeds=args.seeds,
        reuse_data_layer=args.reuse_data_layer,
        price_check=args.price_check,
        report=Path(args.report),
        gate_metric=args.gate_metric,
    )
    if args.ablation:
        print(f"ablation table: {run_ablation(config, Path(args.ablation))}")
        return 0
    gate = run_evaluation(config).gate
    if args.fail_on_gate and not gate.passed:
        print(f"btrnn evaluate: the release gate failed: {gate.message}", file=sys.stderr)
        return EXIT_GATE_FAILED
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from btrnn.bench import run as run_bench

    return run_bench(args)


class _Parser(argparse.ArgumentParser):
    """No abbreviated options (argparse's default): `--lr 0.1` was read as `--lr-schedule 0.1`
    and `--epoch 3` as `--epochs 3`. Subcommands' parsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from btrnn.evaluation.protocol import EvaluationConfig
    from btrnn.train import TrainConfig, add_train_options

    parser = _Parser(prog="btrnn", description=__doc__)
    parser.add_argument("--version", action="version", version=f"btrnn {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="on an error, print the whole traceback too"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    # Listed for --help only: main() hands everything after `dbt` to dbt itself.
    commands.add_parser(
        "dbt", help="run the dbt CLI on this project (e.g. `btrnn dbt build`)", add_help=False
    )

    gen = commands.add_parser(
        "generate",
        help="write the seeded shop data (the bundled sample, or paper scale)",
        description="Writes products, orders and product_views. Without size options or Parquet "
        "it is the bundled sample (data/sample, byte for byte); otherwise the data is streamed "
        "in chunks of users in bounded memory, e.g. `btrnn generate --preset paper --format "
        "parquet --out /tmp/paper-shop` (400,000 items, 1,000,000 users, ~10M order lines).",
    )
    from btrnn.generate import PRESETS
    from btrnn.generate.stream import DEFAULT_CHUNK_USERS

    sample = GeneratorConfig()
    sizes = "; ".join(
        f"{name}: {c.n_items:,} items, {c.n_users:,} users, ~{c.expected_order_lines():,.0f} "
        "order lines"
        for name, c in PRESETS.items()
    )
    gen.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="sample",
        help=f"sizes to start from ({sizes}) (default: %(default)s)",
    )
    gen.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output folder (default: {SAMPLE_DIR} for the sample; required otherwise)",
    )
    gen.add_argument("--seed", type=int, default=None, help=f"random seed (default: {sample.seed})")
    gen.add_argument(
        "--items",
        type=int,
        default=None,
        help="catalogue size; ~100 items per team x stage, 1%% new arrivals "
        f"(default: the preset's, sample {sample.n_items})",
    )
    gen.add_argument(
        "--users",
        type=int,
        default=None,
        help=f"customers (default: the preset's, sample {sample.n_users:,})",
    )
    gen.add_argument(
        "--order-lines",
        type=int,
        default=None,
        help="target order lines, guests and cancellations included; sets the share of long "
        "histories (default: what the preset's history mix gives)",
    )
    gen.add_argument(
        "--views-per-purchase",
        type=float,
        default=None,
        help="mean extra views of the team's range before a purchase, besides the item itself "
        f"(default: {sample.views_per_purchase})",
    )
    gen.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format; Parquet writes one row group per chunk (default: %(default)s)",
    )
    gen.add_argument(
        "--chunk-users",
        type=int,
        default=None,
        help="users generated and written at a time; the data does not depend on it "
        f"(default: {DEFAULT_CHUNK_USERS:,})",
    )
    gen.set_defaults(run=_cmd_generate)

    train = commands.add_parser(
        "train", help="train BTRNN on the warehouse's windows and publish it"
    )
    add_train_options(train, TrainConfig())
    train.add_argument("--model-uri", default=default_model_uri(), help="local path or s3://b/p")
    train.add_argument("--version", default=None, help="version name (default: time + hash)")
    train.add_argument("--no-make-current", action="store_true", help="publish without CURRENT")
    train.add_argument(
        "--metrics-log",
        default=None,
        help="CSV of each epoch's loss and validation metrics, written as training goes "
        "(default: <state dir>/logs/train-<UTC time>.csv)",
    )
    train.set_defaults(run=_cmd_train)

    evaluation = EvaluationConfig()
    evaluate = commands.add_parser(
        "evaluate", help="leave-last-out evaluation of BTRNN and the baselines, with a report"
    )
    evaluate.add_argument(
        "--vars-file", help="dbt vars (YAML) naming the data, e.g. examples/*.yml"
    )
    evaluate.add_argument(
        "--var",
        type=dbt_var,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one dbt var over the vars file's (VALUE read as YAML), e.g. sequence_length=20; "
        "repeatable",
    )
    add_train_options(evaluate, evaluation.train)
    evaluate.add_argument(
        "--seeds", type=int, default=evaluation.seeds, help="train BTRNN this many times: mean, std"
    )
    evaluate.add_argument(
        "--reuse-data-layer",
        action="store_true",
        help="skip dbt when the evaluation schema was last built with the same vars",
    )
    evaluate.add_argument(
        "--price-check",
        action=argparse.BooleanOptionalAction,
        default=evaluation.price_check,
        help="the paper's price check: every recommender's published tables for the tested "
        "users, their prices against the seeds' and all purchases' (report section)",
    )
    evaluate.add_argument(
        "--ablation",
        help="YAML of named rows of option overrides (examples/ablation-*.yml): one table",
    )
    evaluate.add_argument(
        "--report", default=str(evaluation.report), help="HTML report (default: %(default)s)"
    )
    evaluate.add_argument(
        "--gate-metric",
        default=evaluation.gate_metric,
        help="the metric BTRNN must win on to be published by default (default: %(default)s)",
    )
    evaluate.add_argument(
        "--fail-on-gate",
        action="store_true",
        help=f"exit {EXIT_GATE_FAILED} when BTRNN fails the release gate (for orchestrators)",
    )
    evaluate.set_defaults(run=_cmd_evaluate)

    bench = commands.add_parser(
        "bench",
        help="scoring throughput: batched vs the paper's row-at-a-time",
        description="Scoring rows/s on Spark: batched score_users vs the paper's row-at-a-time "
        "UDF, with the machine's float32 matmul rate. Prints a table; progress goes to stderr.",
    )
    add_bench_arguments(bench)
    bench.set_defaults(run=_cmd_bench)

    demo = commands.add_parser("demo", help="the main job on the bundled sample data")
    demo.set_defaults(run=_cmd_demo)

    add_cluster_parser(commands)
    add_models_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    command_line = argv is None  # the process's own command, not a call from Python (tests)
    argv = list(sys.argv[1:] if argv is None else argv)
    prepare_environment()
    if command_line and argv and argv[0] in QUIET_NATIVE_LOGS:
        quiet_native_logs()
    parser = build_parser()
    if argv and argv[0] == "dbt":  # everything after `dbt` belongs to dbt
        return _cmd_dbt(argv[1:])
    try:  # an unknown or mistyped option is an error, never silently ignored
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse has printed the usage and the error (or --help)
        return int(stop.code or 0)
    try:
        return int(args.run(args))
    except Exception as error:  # one line for people; the traceback only when asked for
        if args.debug:
            raise
        print(f"btrnn {args.command}: {error} (--debug shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
