"""The `btrnn` command: one subcommand per job of the project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from btrnn.runtime import PROJECT_ROOT, prepare_environment


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


def _cmd_demo(args: argparse.Namespace, extra: list[str]) -> int:
    from btrnn.demo import run_demo

    return run_demo()


def build_parser() -> argparse.ArgumentParser:
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
