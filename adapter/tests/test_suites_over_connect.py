"""dbt's adapter test framework (adapter/tests/functional) over a real Spark Connect server.

The framework runs dbt in the pytest process, and PySpark switches a whole process to Connect
mode once a remote session exists, so the suites run here in a pytest process of their own, with
SPARK_PYTHON_SUITES_REMOTE pointing functional/conftest.py at the session's Connect server. The
suites, and what they skip and why, are the same as on the local session.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from spark_python_harness import PYTHON, spark_env

FUNCTIONAL = Path(__file__).resolve().parent / "functional"
SUITES_TIMEOUT_S = 1200


def test_dbt_adapter_suites_pass_over_spark_connect(spark_connect_url: str, tmp_path: Path) -> None:
    report = tmp_path / "suites.xml"
    command = [str(PYTHON), "-m", "pytest", str(FUNCTIONAL), "-q", "-p", "no:cacheprovider"]
    command += ["--basetemp", str(tmp_path / "tmp"), "--junitxml", str(report)]
    done = subprocess.run(
        command,
        env=spark_env(SPARK_PYTHON_SUITES_REMOTE=spark_connect_url),
        cwd=FUNCTIONAL.parents[2],
        capture_output=True,
        text=True,
        timeout=SUITES_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"suites over Spark Connect failed:\n{done.stdout[-12000:]}"

    cases = ET.parse(report).getroot().iter("testcase")
    outcomes = {
        f"{case.get('classname')}::{case.get('name')}": (
            "skipped" if case.find("skipped") is not None else "passed"
        )
        for case in cases
    }
    passed = [name for name, outcome in outcomes.items() if outcome == "passed"]
    assert len(passed) >= 20, outcomes  # the suites ran, not only their skips
    assert any("TestPythonModels" in name for name in passed)
    assert any("TestSimpleMaterializations" in name for name in passed)
