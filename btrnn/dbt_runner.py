"""Runs the real dbt CLI on this project with the environment Spark needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from btrnn.runtime import PROJECT_ROOT, prepare_environment


class DbtFailed(RuntimeError):
    """dbt exited non-zero; its own output already says which model or test failed."""


def dbt_command(args: Sequence[str], variables: Mapping[str, Any] | None = None) -> list[str]:
    """The dbt command line for `args`, with `variables` as --vars (JSON is valid YAML)."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *args]
    if variables:
        command += ["--vars", json.dumps(dict(variables))]
    return command


def run_dbt(
    args: Sequence[str],
    variables: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_ROOT,
    capture: bool = False,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt ARGS` in the project folder; raise DbtFailed when it fails (or outlives
    `timeout` seconds: subprocess.TimeoutExpired)."""
    prepare_environment()
    full_env = {**os.environ, "BTRNN_PROJECT_DIR": str(project_dir), **(env or {})}
    result = subprocess.run(
        dbt_command(args, variables),
        cwd=project_dir,
        env=full_env,
        text=True,
        capture_output=capture,
        check=False,
        timeout=timeout,
    )
    if result.returncode != 0:
        detail = (result.stdout or "")[-6000:] if capture else ""
        raise DbtFailed(f"dbt {' '.join(args)} failed (exit {result.returncode}).\n{detail}")
    return result
