"""Plain dbt, as an orchestrator runs it: no `btrnn` wrapper, no variable set for the project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from btrnn.runtime import PROJECT_ROOT


def test_relative_shop_paths_resolve_against_the_project_from_any_folder(warehouse, tmp_path):
    """The bundled sample's relative `shop_files` paths are read from the dbt project's folder,
    also when dbt runs from elsewhere (`--project-dir`) with no BTRNN_PROJECT_DIR (Spark would
    resolve them against the raw schema's database folder)."""
    env = {k: v for k, v in os.environ.items() if k != "BTRNN_PROJECT_DIR"} | warehouse.env
    dbt = str(Path(sys.executable).with_name("dbt"))
    command = [
        dbt, "build", "--select", "+stg_shop__orders",
        "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT / "profiles"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, env=env, text=True, capture_output=True)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "UNABLE_TO_INFER_SCHEMA" not in done.stdout
    assert "Completed successfully" in done.stdout
