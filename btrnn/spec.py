"""The model spec: one versioned description of the model a shop gets, and its hash.

A spec has two parts, each with one home:
- the data layer's settings (window layout, sequence length, Word2Vec): dbt vars, whose defaults
  are dbt_project.yml's, since dbt builds the windows. Each build of `int_training_windows`
  records the values it used in a table property (macros/model_spec.sql), where the trainer reads
  them: a model's spec names the windows it was really trained on, whoever built them.
- the network and its training: TrainConfig (btrnn/train.py), whose defaults are the measured
  best (docs/ablation.md). `btrnn evaluate`, `btrnn train` and the demo all start from them; a
  `--config` file, flags and ablation rows override them for experiments.

Every trained model records its spec and the spec's hash (bundle metadata, `model_trainings`);
the release gate records the hash of the spec it judged, and the *_default views publish BTRNN
only for a model with that hash. The hash leaves out what does not make another model: the seed
(the gate judges the mean over seeds), the budget (how long to train, not what) and the schema.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from btrnn.train import TrainConfig

# Raised when a spec's meaning changes (a setting renamed, a new one with another default).
SPEC_VERSION = 1
# The table property of int_training_windows holding the data layer's settings (JSON).
DATA_LAYER_PROPERTY = "btrnn.data_layer_spec"
# TrainConfig fields that do not make another model (module docstring).
UNJUDGED = ("seed", "schema", "epochs", "max_steps", "patience", "validation_users")


def judged_spec(data_layer: Mapping[str, Any], training: TrainConfig) -> dict[str, Any]:
    """The settings that make the model, flat (data-layer vars and training fields never share
    a name), as recorded with every model and verdict."""
    settings = {k: v for k, v in asdict(training).items() if k not in UNJUDGED}
    clash = set(settings) & set(data_layer)
    if clash:
        raise ValueError(f"data-layer settings and training settings share names: {clash}")
    return {"spec_version": SPEC_VERSION, **dict(data_layer), **settings}


def spec_hash(spec: Mapping[str, Any]) -> str:
    """The hash of a judged spec: equal for models trained alike, whatever the seed or budget."""
    canonical = json.dumps(dict(spec), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def spec_differences(judged: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """`name=value (judged: value)` for each setting where `other` differs from `judged`."""
    return [
        f"{name}={other.get(name)} (judged: {judged.get(name)})"
        for name in sorted(set(judged) | set(other))
        if judged.get(name) != other.get(name)
    ]


def read_data_layer_spec(spark: SparkSession, schema: str) -> dict[str, Any]:
    """The data-layer settings `schema`'s training windows were built with."""
    table = f"{schema}.int_training_windows"
    rows = spark.sql(f"show tblproperties {table} ('{DATA_LAYER_PROPERTY}')").collect()
    value = rows[0]["value"] if rows else None
    if not value or "does not have property" in value:
        raise ValueError(
            f"{table} does not record the data-layer settings it was built with (built by an "
            "older btrnn): rebuild the data layer (`btrnn dbt build --selector data_layer`)."
        )
    settings = json.loads(value)
    if not isinstance(settings, dict):
        raise ValueError(f"{table}: property {DATA_LAYER_PROPERTY} is not a mapping: {value!r}")
    return settings
