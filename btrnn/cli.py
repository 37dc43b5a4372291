"""The `btrnn` command: one subcommand per job of the project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from btrnn.runtime import PROJECT_ROOT, prepare_environment
from btrnn.warehouse import default_model_uri


def _cmd_dbt(args: argparse.Namespace, extra: list[str]) -> int:
    from btrnn.dbt_runner import DbtFailed, run_dbt

    try:
        run_dbt(extra)
    except DbtFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _cmd_generate(args: argparse.Namespace, extra: list[str]) -> int:
    from btrnn.generate import GeneratorConfig, generate

    counts = generate(Path(args.out), GeneratorConfig(seed=args.seed))
    for name, rows in counts.items():
        print(f"{name}: {rows} rows -> {Path(args.out) / name}")
    return 0


def _cmd_train(args: argparse.Namespace, extra: list[str]) -> int:
    import logging

    from btrnn.spark import get_session
    from btrnn.train import config_from_args, train_and_publish

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = config_from_args(args)
    spark = get_session("btrnn-train")
    version = train_and_publish(
        spark, config, args.model_uri, args.version, make_current=not args.no_make_current
    )
    print(f"published model version {version} to {args.model_uri}")
    return 0


def _cmd_demo(args: argparse.Namespace, extra: list[str]) -> int:
    from btrnn.demo import run_demo

    return run_demo()


def _cmd_evaluate(args: argparse.Namespace, extra: list[str]) -> int:
    import yaml

    from btrnn.evaluate import EvaluationConfig, run_ablation, run_evaluation
    from btrnn.train import config_from_args

    variables = yaml.safe_load(Path(args.vars_file).read_text()) if args.vars_file else {}
    config = EvaluationConfig(
        variables=variables or {},
        train=config_from_args(args),
        every_prefix_windows=args.every_prefix,
        seeds=args.seeds,
        reuse_data_layer=args.reuse_data_layer,
        report=Path(args.report),
        gate_metric=args.gate_metric,
    )
    if args.ablation:
        print(f"ablation table: {run_ablation(config, Path(args.ablation))}")
    else:
        run_evaluation(config)
    return 0


def _cmd_bench(args: argparse.Namespace, extra: list[str]) -> int:
    from btrnn.bench import main as bench_main

    return bench_main(extra)


def build_parser() -> argparse.ArgumentParser:
    from btrnn.evaluate import EvaluationConfig
    from btrnn.train import TrainConfig, add_train_options

    parser = argparse.ArgumentParser(prog="btrnn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dbt = commands.add_parser(
        "dbt", help="run the dbt CLI on this project (e.g. `btrnn dbt build`)", add_help=False
    )
    dbt.set_defaults(run=_cmd_dbt)

    gen = commands.add_parser("generate", help="write the seeded sample shop data")
    gen.add_argument("--out", default=str(PROJECT_ROOT / "data" / "sample"))
    gen.add_argument("--seed", type=int, default=7)
    gen.set_defaults(run=_cmd_generate)

    train = commands.add_parser(
        "train", help="train BTRNN on the warehouse's windows and publish it"
    )
    add_train_options(train, TrainConfig())
    train.add_argument("--model-uri", default=default_model_uri(), help="local path or s3://b/p")
    train.add_argument("--version", default=None, help="version name (default: time + hash)")
    train.add_argument("--no-make-current", action="store_true", help="publish without CURRENT")
    train.set_defaults(run=_cmd_train)

    evaluation = EvaluationConfig()
    evaluate = commands.add_parser(
        "evaluate", help="leave-last-out evaluation of BTRNN and the baselines, with a report"
    )
    evaluate.add_argument(
        "--vars-file", help="dbt vars (YAML) naming the data, e.g. examples/*.yml"
    )
    add_train_options(evaluate, evaluation.train)
    evaluate.add_argument(
        "--every-prefix",
        action=argparse.BooleanOptionalAction,
        default=evaluation.every_prefix_windows,
        help="one training window per target position >= 2 (data-layer var every_prefix_windows)",
    )
    evaluate.add_argument(
        "--seeds", type=int, default=evaluation.seeds, help="train BTRNN this many times: mean, std"
    )
    evaluate.add_argument(
        "--reuse-data-layer",
        action="store_true",
        help="skip dbt when the evaluation schema was last built with the same vars",
    )
    evaluate.add_argument(
        "--ablation",
        help="YAML of named rows of option overrides (examples/ablation-*.yml): one table",
    )
    evaluate.add_argument("--report", default=str(evaluation.report))
    evaluate.add_argument("--gate-metric", default=evaluation.gate_metric)
    evaluate.set_defaults(run=_cmd_evaluate)

    bench = commands.add_parser(
        "bench", help="scoring throughput: batched vs the paper's row-at-a-time", add_help=False
    )
    bench.set_defaults(run=_cmd_bench)

    demo = commands.add_parser("demo", help="the main job on the bundled sample data")
    demo.set_defaults(run=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    prepare_environment()
    parser = build_parser()
    if argv and argv[0] == "dbt":  # everything after `dbt` belongs to dbt
        return _cmd_dbt(argparse.Namespace(), argv[1:])
    args, extra = parser.parse_known_args(argv)
    return args.run(args, extra)


if __name__ == "__main__":
    sys.exit(main())
