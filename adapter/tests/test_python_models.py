"""dbt Python models on open-source Spark through dbt-spark-python, with the real dbt CLI.

The fixture project (adapter/tests/project) builds source -> SQL model -> Python model (reads a
ref, a source and a config value) -> SQL model, and data-tests the result. Its own builds: the
adapter is tested on a small project of its own, not on btrnn.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest
from dbt.adapters.spark.connections import SparkConnectionMethod
from dbt.adapters.spark_python import SparkPythonCredentials
from dbt.adapters.spark_python.python_submissions import SessionPythonJobHelper
from dbt_common.exceptions import DbtRuntimeError
from spark_python_harness import SCHEMA, DbtProject, DbtResult

# raw_orders: ada 5 + 7, grace 4, linus 1; the project's `multiplier` var defaults to 3.
EXPECTED_REPORT = [
    {"customer_id": 1, "customer_label": "ADA", "multiplied_total": 36},
    {"customer_id": 2, "customer_label": "GRACE", "multiplied_total": 12},
    {"customer_id": 3, "customer_label": "LINUS", "multiplied_total": 3},
]


def _explain(result: DbtResult) -> str:
    return f"dbt exited {result.returncode}:\n{result.output[-6000:]}"


@pytest.fixture(scope="module")
def built(local_project: DbtProject) -> DbtProject:
    result = local_project.dbt("build")
    assert result.ok, _explain(result)
    assert "PASS=11" in result.output, _explain(result)  # 3 models + 7 data tests + the hook
    return local_project


def test_local_session_build_runs_the_python_model_and_its_tests(built: DbtProject) -> None:
    assert built.read("customer_report") == EXPECTED_REPORT
    assert built.read("customer_totals") == EXPECTED_REPORT
    # Built as customer_totals__dbt_build and swapped in: nothing of the build is left over.
    leftovers = [p.name for p in built.table_dir("").iterdir() if "__dbt_build" in p.name]
    assert leftovers == []


def test_failing_python_model_names_it_and_keeps_the_published_table(built: DbtProject) -> None:
    before = built.read("customer_totals")
    assert before == EXPECTED_REPORT

    result = built.dbt("build", variables={"multiplier": -1})

    assert not result.ok
    assert "Runtime Error in model customer_totals" in result.output, _explain(result)
    # One line saying where, then the model's own frames with their source text, then the rest.
    summary = "Python model customer_totals failed at line 12: ValueError: multiplier must be "
    summary += "positive, got -1"
    assert summary in result.output, _explain(result)
    model_frame = 'File "<python model customer_totals>", line 12, in model'
    source_line = 'raise ValueError(f"multiplier must be positive, got {multiplier}")'
    rest = "The rest of the traceback:"
    positions = [result.output.find(text) for text in (summary, model_frame, source_line, rest)]
    assert -1 not in positions and positions == sorted(positions), _explain(result)
    assert "ERROR=1" in result.output, _explain(result)
    assert built.read("customer_totals") == before
    assert built.read("customer_report") == EXPECTED_REPORT  # downstream skipped, kept too


@pytest.fixture(scope="module")
def customer_totals_node(local_project: DbtProject) -> dict[str, Any]:
    """The Python model's node from a real `dbt parse` (which starts no Spark), and the session
    credentials of the profile: for the checks the helper makes before it runs anything."""
    parsed = local_project.dbt("parse")
    assert parsed.ok, _explain(parsed)
    manifest = json.loads((local_project.root / "target" / "manifest.json").read_text())
    node: dict[str, Any] = manifest["nodes"]["model.spark_python_it.customer_totals"]
    return node


def session_credentials() -> SparkPythonCredentials:
    return SparkPythonCredentials.from_dict(
        {"method": "session", "host": "127.0.0.1", "schema": SCHEMA, "port": 10000}
    )


def test_python_model_on_a_thrift_target_asks_for_method_session(
    customer_totals_node: dict[str, Any],
) -> None:
    """The session helper refuses a non-session connection with a message saying what to use.

    dbt-spark validates `method: thrift` credentials only with PyHive installed, and a thrift
    run needs a Thrift Server before it reaches a Python model; so this takes the model node
    from a real `dbt parse` and real credentials from the profile, switched to thrift.
    """
    credentials = session_credentials()
    credentials.method = SparkConnectionMethod.THRIFT

    with pytest.raises(DbtRuntimeError) as refused:
        SessionPythonJobHelper(customer_totals_node, credentials)

    message = str(refused.value)
    assert "Python model customer_totals" in message
    assert "needs a profile with `method: session`" in message
    assert "method: thrift" in message


def test_python_model_packages_not_importable_fail_before_it_runs(
    customer_totals_node: dict[str, Any],
) -> None:
    """A `packages` entry this Python cannot import, or only in another version, stops the model
    before its code or any Spark runs (this process never starts Spark), with what to install."""
    node = copy.deepcopy(customer_totals_node)
    node["config"]["packages"] = ["pyspark", "numpy>=1", "dbt-spark-python-no-such-pkg", "pandas<1"]
    helper = SessionPythonJobHelper(node, session_credentials())

    with pytest.raises(DbtRuntimeError) as refused:
        helper.submit('raise AssertionError("the model ran")')

    message = refused.value.msg
    assert "Python model customer_totals needs packages" in message
    assert "  - dbt-spark-python-no-such-pkg (not installed)\n" in message
    assert "  - pandas<1 (installed: " in message
    assert message.count("\n  - ") == 2  # pyspark and numpy>=1 are met
    assert f"{sys.executable} -m pip install dbt-spark-python-no-such-pkg 'pandas<1'" in message


# Four threads, like dbt's, each getting pandas-on-Spark ready and then importing what
# `DataFrame.pandas_api()` imports. Unserialised, two of them die on pyspark.pandas's circular
# import (`_DeadlockError` or `cannot import name 'pandas' from 'pyspark'`).
_THREADED_IMPORTS = """
import threading
from dbt.adapters.spark_python.python_submissions import import_pandas_on_spark

errors = []
start = threading.Barrier(4)

def model_thread():
    start.wait()
    try:
        import_pandas_on_spark()
        from pyspark.pandas.namespace import _get_index_map  # noqa: F401
    except BaseException as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=model_thread) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""


def test_models_starting_at_once_import_pandas_on_spark_whole() -> None:
    """Four models starting together in a fresh process all get a whole pyspark.pandas."""
    done = subprocess.run(
        [sys.executable, "-c", _THREADED_IMPORTS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]", done.stdout
