"""The test tiers, for every test folder (pytests/ and adapter/tests/).

A test's tier follows its folder: `unit` (pure logic, no JVM), `integration` (real Spark, the dbt
CLI, the S3-compatible server) and `model` (training and quality). `make test-fast` runs the unit
tier; every run ends with the time each tier took.

`make test` runs two pytest workers (pytest-xdist, `--dist loadgroup`): much of the suite waits on
JVM and dbt start-ups, so two processes keep both cores busy. Each test module stays on one worker
(its module fixtures are built once), and modules that share a session fixture or an in-process
SparkSession share a worker too (SHARED_GROUPS).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytests.jit import FOR_SHORT_JVMS, JDK_JAVA_OPTIONS

# C1 alone for the suite's short JVMs, both compilers where Word2Vec runs (pytests/jit.py).
os.environ.setdefault(JDK_JAVA_OPTIONS, FOR_SHORT_JVMS)

TIERS = ("unit", "integration", "model")
# adapter/tests/ has no tier folders: every adapter test runs the real dbt CLI on Spark.
_FOLDER_TIER = {"adapter": "integration"}
# Modules that must share one worker: the demo's warehouse and model (session fixture demo_run,
# built once), and the tests that start Spark in the pytest process itself (a process holds one
# SparkContext; dbt's adapter framework runs dbt in-process), in the order a serial run has them.
SHARED_GROUPS = {
    "pytests/integration/test_data_layer.py": "demo_run",
    "pytests/integration/test_demo.py": "demo_run",
    "pytests/model/test_direction.py": "demo_run",
    "pytests/integration/test_bench_run.py": "spark_in_process",
    "pytests/integration/test_train_spark.py": "spark_in_process",
    "adapter/tests/functional/": "spark_in_process",
    # One standing cluster (session fixture standing_cluster) for the modules that use it.
    "pytests/integration/test_cluster.py": "standing_cluster",
    "pytests/integration/test_cluster_pipeline.py": "standing_cluster",
}


def _worker_group(relative: Path) -> str:
    path = relative.as_posix()
    for prefix, group in SHARED_GROUPS.items():
        if path.startswith(prefix):
            return group
    return path


def _tier_of(path: Path) -> str | None:
    for part in path.parts:
        if part in TIERS:
            return part
        if part in _FOLDER_TIER:
            return _FOLDER_TIER[part]
    return None


# tryfirst: pytest-xdist reads the xdist_group marks in its own collection hook.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier and its worker group; run the tiers fastest first."""
    tiers = {}
    for item in items:
        relative = Path(str(item.path)).relative_to(Path(__file__).parent)
        tier = _tier_of(relative)
        if tier is None:
            raise pytest.UsageError(f"{item.nodeid}: put the test in a tier folder: {TIERS}")
        item.add_marker(tier)
        item.add_marker(pytest.mark.xdist_group(_worker_group(relative)))
        tiers[item.nodeid] = TIERS.index(tier)
    items.sort(key=lambda item: tiers[item.nodeid])  # stable: file order within a tier


@pytest.fixture(autouse=True)
def _unit_tests_start_no_jvm(request: pytest.FixtureRequest) -> Iterator[None]:
    """A unit test that starts Spark belongs in the integration tier: fail it here."""
    from pyspark import SparkContext

    before = SparkContext._gateway
    yield
    if request.node.get_closest_marker("unit") is not None and SparkContext._gateway is not before:
        pytest.fail("a unit test started a JVM: move it to pytests/integration/")


def pytest_configure(config: pytest.Config) -> None:
    """Before any worker starts: one archive of a Spark driver's classes for every driver the
    session starts (pytests/jvm_class_archive.py: a driver's start costs about half the CPU)."""
    if hasattr(config, "workerinput") or "SPARK_SUBMIT_OPTS" in os.environ:
        return  # a worker inherits the controller's; a caller's own options stand
    if config.option.markexpr == "unit":
        return  # the unit tier starts no JVM
    from pytests.jvm_class_archive import driver_options, make_archive

    folder = Path(tempfile.mkdtemp(prefix="btrnn-jvm-classes-"))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    archive = make_archive(folder)
    if archive is not None:
        os.environ["SPARK_SUBMIT_OPTS"] = driver_options(archive)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    seconds: dict[str, float] = defaultdict(float)
    tests: dict[str, set[str]] = defaultdict(set)
    for reports in terminalreporter.stats.values():
        for report in reports:
            if not isinstance(report, pytest.TestReport):
                continue
            tier = next((t for t in TIERS if t in report.keywords), "other")
            seconds[tier] += report.duration
            tests[tier].add(report.nodeid)
    if not seconds:
        return
    terminalreporter.section("time per tier")
    for tier in (*TIERS, "other"):
        if tier in seconds:
            minutes, rest = divmod(seconds[tier], 60)
            terminalreporter.write_line(
                f"{tier:<12} {len(tests[tier]):>4} tests  {int(minutes):>3} min {rest:4.1f} s"
            )
