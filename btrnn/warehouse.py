"""Reading the local warehouse's tables without Spark (for reports, the demo and tests).

The embedded Derby metastore admits one JVM at a time; reading the Parquet files of a managed
table directly needs none, so it works while no dbt run holds the metastore.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from btrnn.runtime import state_dir


def default_model_uri() -> str:
    """The model store when none is named: BTRNN_MODEL_URI, else <state dir>/models."""
    return os.environ.get("BTRNN_MODEL_URI") or str(state_dir() / "models")


def evaluation_model_uri() -> str:
    """`btrnn evaluate`'s own model store, beside the default one so that the executors that
    fetch the published models fetch these too (<BTRNN_MODEL_URI>/evaluation), else in the
    state folder. Its CURRENT is its own: evaluating never moves the published models'."""
    store = os.environ.get("BTRNN_MODEL_URI")
    return f"{store.rstrip('/')}/evaluation" if store else str(state_dir() / "evaluation-models")


def read_warehouse_table(name: str, schema: str = "btrnn") -> pd.DataFrame:
    """A table's rows from the warehouse the run uses: over Spark Connect when SPARK_REMOTE
    names a server (a cluster's warehouse need not be on this machine), else from the local
    warehouse's files (no JVM)."""
    if os.environ.get("SPARK_REMOTE"):
        from btrnn.spark import get_session

        return get_session().table(f"{schema}.{name}").toPandas()
    return read_table(name, schema)


def table_path(name: str, schema: str = "btrnn", root: Path | None = None) -> Path:
    """The folder of a table's files; for a published table (a view over per-run builds,
    `publish: view`), the newest build's.

    The view in the metastore names the build it reads; the newest build differs from it only
    while a run killed between building and publishing has left its build behind (the next run
    drops it). Readers that need the exact published rows query the view through Spark.
    """
    schema_dir = (root or state_dir()) / "warehouse" / f"{schema}.db"
    builds = sorted(schema_dir.glob(f"{name}__p[0-9]*_*"))
    return schema_dir / name if (schema_dir / name).exists() or not builds else builds[-1]


def read_table(name: str, schema: str = "btrnn", root: Path | None = None) -> pd.DataFrame:
    path = table_path(name, schema, root)
    if not path.exists():
        raise FileNotFoundError(f"table {schema}.{name} not found at {path}: run `make demo` first")
    return pq.read_table(path).to_pandas()
