"""The test tiers, for every test folder (pytests/ and adapter/tests/).

A test's tier follows its folder: `unit` (pure logic, no JVM), `integration` (real Spark, the dbt
CLI, the S3-compatible server) and `model` (training and quality). `make test-fast` runs the unit
tier; every run ends with the time each tier took.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

TIERS = ("unit", "integration", "model")
# adapter/tests/ has no tier folders: every adapter test runs the real dbt CLI on Spark.
_FOLDER_TIER = {"adapter": "integration"}


def _tier_of(path: Path) -> str | None:
    for part in path.parts:
        if part in TIERS:
            return part
        if part in _FOLDER_TIER:
            return _FOLDER_TIER[part]
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier, and run the tiers fastest first."""
    tiers = {}
    for item in items:
        tier = _tier_of(Path(str(item.path)).relative_to(Path(__file__).parent))
        if tier is None:
            raise pytest.UsageError(f"{item.nodeid}: put the test in a tier folder: {TIERS}")
        item.add_marker(tier)
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
