"""Shared fixtures: isolated dbt runs on the real CLI, table reads, the local S3 server, a
standing cluster."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cluster_server import standing_cluster  # noqa: F401  (session fixture: `btrnn cluster up`)
from s3_server import s3_endpoint  # noqa: F401  (session fixture: a real S3 server on loopback)

from btrnn.dbt_runner import run_dbt
from btrnn.runtime import prepare_environment
from btrnn.warehouse import read_table

prepare_environment()


class Warehouse:
    """One isolated dbt state (metastore, warehouse, target folder) for a test module."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def env(self) -> dict[str, str]:
        return {
            "BTRNN_STATE_DIR": str(self.root),
            "DBT_TARGET_PATH": str(self.root / "target"),
            "DBT_LOG_PATH": str(self.root / "logs"),
            "BTRNN_SPARK_MASTER": "local[2,4]",
        }

    def dbt(
        self,
        *args: str,
        variables: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        return run_dbt(list(args), variables=variables, env={**self.env, **(env or {})}, **kwargs)

    @contextmanager
    def restored_after(self) -> Iterator[None]:
        """Put the metastore and the warehouse back as they were when the block began, by copying
        their files (cheaper than a dbt run that rebuilds the old state). No JVM may hold the
        Derby metastore meanwhile: every dbt run here is a subprocess that has ended."""
        saved = self.root.parent / f"{self.root.name}-saved"
        parts = [part for part in ("metastore_db", "warehouse") if (self.root / part).exists()]
        for part in parts:
            shutil.copytree(self.root / part, saved / part, symlinks=True)
        try:
            yield
        finally:
            for part in parts:
                shutil.rmtree(self.root / part, ignore_errors=True)
                shutil.copytree(saved / part, self.root / part, symlinks=True)
            shutil.rmtree(saved, ignore_errors=True)

    def read(self, name: str, schema: str = "btrnn") -> pd.DataFrame:
        """A table's rows, read from its Parquet files (no second JVM on the Derby metastore)."""
        return read_table(name, schema, root=self.root)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return Warehouse(tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="module")
def write_shop(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, str]]:
    """Writes order/view rows as CSV files and returns the matching `shop_files` var."""

    def write(orders: pd.DataFrame, views: pd.DataFrame | None = None) -> dict[str, str]:
        folder = tmp_path_factory.mktemp("shop")
        orders.to_csv(folder / "orders.csv", index=False)
        files = {"format": "csv", "orders": str(folder / "orders.csv"), "products": None}
        if views is not None:
            views.to_csv(folder / "product_views.csv", index=False)
            files["product_views"] = str(folder / "product_views.csv")
        else:
            files["product_views"] = None
        return files

    return write


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """`btrnn demo` once per session, in its own state: data layer, training, scoring."""
    from btrnn.demo import run_demo

    warehouse = Warehouse(tmp_path_factory.mktemp("demo"))
    patch = pytest.MonkeyPatch()
    for name, value in warehouse.env.items():
        patch.setenv(name, value)
    patch.delenv("BTRNN_MODEL_URI", raising=False)
    try:
        assert run_demo() == 0, "btrnn demo failed: see its output above"
    finally:
        patch.undo()
    return warehouse
