"""`btrnn models list|show|promote|rollback`: the model store's versions and its CURRENT pointer.

Scoring reads CURRENT once per dbt invocation, so moving it is how a team ships or takes back a
model without retraining. Every move is a compare-and-swap against the CURRENT this command read
first: a `btrnn train` (or another promote) that moved it in between is not overwritten.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from btrnn.artifacts import ArtifactError, ModelStore
from btrnn.bundle import METADATA_FILE
from btrnn.warehouse import default_model_uri

# What `show` prints of a version's metadata.json, in this order (metrics: the headline ones).
_METRICS = (
    "epochs_run",
    "best_epoch",
    "monitor",
    "best_value",
    "seconds",
    "examples_per_s",
    "peak_rss_mb",
)


def add_parser(commands: Any) -> None:
    """`btrnn models ...` on the CLI's subcommands."""
    models = commands.add_parser(
        "models",
        help="list, show, promote or roll back model versions in the store",
        description="The model store's versions and its CURRENT pointer (what scoring loads).",
    )
    models.add_argument(
        "--model-uri",
        default=default_model_uri(),
        help="model store: s3://bucket/prefix or a local path (default: %(default)s)",
    )
    actions = models.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every complete version, oldest first; * marks CURRENT")
    show = actions.add_parser("show", help="one version's training metadata, as JSON")
    show.add_argument("version", nargs="?", help="the version (default: CURRENT)")
    promote = actions.add_parser("promote", help="point CURRENT at a version")
    promote.add_argument("version", help="a complete version in the store")
    actions.add_parser("rollback", help="point CURRENT at the version published before it")
    models.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    store = ModelStore.from_uri(args.model_uri)
    current = store.read_current()
    if args.action == "list":
        versions = store.versions()
        for version in versions:
            print(f"{'*' if version == current else ' '} {version}")
        if not versions:
            print(f"no model versions in {store.uri} yet: `btrnn train` publishes one")
        return 0
    if args.action == "show":
        version = args.version or store.current_version()
        print(json.dumps(summary(store, version, current), indent=2))
        return 0
    if args.action == "promote":
        target = args.version
    else:
        target = previous_version(store.versions(), store.current_version())
    store.set_current(target, expected=current)
    print(f"CURRENT of {store.uri}: {target} (was {current or 'unset'})")
    return 0


def previous_version(versions: list[str], current: str) -> str:
    """The version published just before `current` (versions sort by publishing time)."""
    if current not in versions or versions.index(current) == 0:
        raise ArtifactError(f"no version before {current} to roll back to: {versions}")
    return versions[versions.index(current) - 1]


def summary(store: ModelStore, version: str, current: str | None) -> dict[str, Any]:
    """A version's headline facts from its metadata.json (read alone, checked by the manifest)."""
    metadata = json.loads(store.read_file(version, METADATA_FILE))
    metrics = metadata.get("metrics", {})
    train = metadata.get("train_config", {})
    return {
        "version": version,
        "current": version == current,
        "trained_at": metadata.get("trained_at"),
        "btrnn_version": metadata.get("btrnn_version"),
        "labels": metadata.get("labels"),
        "units": train.get("units"),
        "epochs": train.get("epochs"),
        "loss": train.get("loss"),
        "word2vec_version": metadata.get("word2vec", {}).get("version"),
        # What the release gate compares (btrnn.spec); None for a model from before specs.
        "spec_hash": metadata.get("spec_hash"),
        "metrics": {key: metrics[key] for key in _METRICS if key in metrics},
    }
