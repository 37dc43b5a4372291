"""dbt's `var()` for sqlfluff's jinja templater: the project's own defaults from dbt_project.yml.

sqlfluff's dbt builtins render every var as the placeholder "item", which breaks the models that
do arithmetic or branch on vars (sequence_length, every_prefix_windows). The dbt templater would
render the real values but needs a live warehouse; this keeps `make lint` offline and fast.
"""

from pathlib import Path
from typing import Any

import yaml

_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project.yml"
_VARS: dict[str, Any] = yaml.safe_load(_PROJECT.read_text())["vars"]


def var(name: str, default: Any = None) -> Any:
    """The var's value in dbt_project.yml, else the default (as dbt's `var(name, default)`)."""
    return _VARS.get(name, default)
