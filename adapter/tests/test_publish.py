"""Publishing without a gap (`publish: view`) and without loss (`publish: swap`), over Connect.

One Spark Connect server holds the metastore, so a second client can read while dbt builds: the
setting a BI tool meets. Each answer a reader gets must be a whole table, old or new: the model
writes `rows` rows all labelled with the run's label, and the label says how many rows it has.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from spark_python_harness import PYTHON, spark_env
from test_fresh_project import run_dbt

SCHEMA = "publish_it"

FILES = {
    "dbt_project.yml": """
        name: publish_it
        version: "1.0"
        config-version: 2
        profile: publish_it
        vars:
          rows: 10
          label: a
          duplicate: false
          slow_check_ms: 0
          publish: view
          broken: false
    """,
    "models/recs.sql": """
        {{ config(materialized='table', publish=var('publish'), publish_max_row_ratio=10) }}
        select id, '{{ var("label") }}' as label from range({{ var('rows') }})
        {% if var('duplicate') %}
        union all select 0 as id, '{{ var("label") }}' as label
        {% endif %}
    """,
    "models/plain.sql": """
        {{ config(materialized='table') }}
        {% if var('broken') %} select * from no_such_table {% else %}
        select id, '{{ var("label") }}' as label from range({{ var('rows') }}) {% endif %}
    """,
    # A view over the published one, as btrnn's *_default views.
    "models/recs_default.sql": """
        {{ config(materialized='view') }}
        select * from {{ ref('recs') }}
    """,
    "models/schema.yml": """
        version: 2
        models:
          - name: recs
            columns:
              - name: id
                data_tests: [unique, not_null, slow_check]
    """,
    # A check that can be made slow, to stop a run while it checks its build.
    "tests/generic/slow_check.sql": """
        {% test slow_check(model, column_name) %}
        select cast(null as bigint) as failing from range(1)
        where reflect('java.lang.Thread', 'sleep', {{ var('slow_check_ms') }}L) = 'never'
        union all
        select cast({{ column_name }} as bigint) from {{ model }} where {{ column_name }} < 0
        {% endtest %}
    """,
}

# A Spark Connect client in its own process (Connect mode is process-wide in PySpark): reads JSON
# lists of SQL statements from stdin, answers each list with a JSON line of their rows.
CLIENT = """
import json, sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
for line in sys.stdin:
    answers = [[row.asDict() for row in spark.sql(sql).collect()] for sql in json.loads(line)]
    print(json.dumps(answers, default=str), flush=True)
"""

# A dashboard: reads the published name in a loop until `stop` exists; counts failed queries and
# answers that are not one whole table (all rows one label, as many rows as the label says).
READER = """
import json, os, sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
tables, stop, sizes = sys.argv[2].split(","), sys.argv[3], json.loads(sys.argv[4])
queries, failures, seen = 0, [], set()
while not os.path.exists(stop):
    table = tables[queries % len(tables)]
    try:
        rows = spark.sql(f"select label, count(*) as n from {table} group by label").collect()
        queries += 1
        answer = {row.label: row.n for row in rows}
        seen.update(answer)
        if len(answer) != 1 or sizes.get(next(iter(answer))) != next(iter(answer.values())):
            failures.append(f"{table}: partial answer {answer}")
    except Exception as error:
        failures.append(f"{table}: {type(error).__name__}: {str(error)[:300]}")
    time.sleep(0.05)
print(json.dumps({"queries": queries, "failures": failures, "seen": sorted(seen)}))
"""


class ConnectClient:
    """One long-lived Connect client process for the test's own queries (no JVM start each)."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [str(PYTHON), "-c", CLIENT, url],
            env=spark_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def sql(self, *statements: str) -> list[list[dict[str, Any]]]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(statements) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the Connect client died"
        return json.loads(line)

    def labels(self, table: str) -> dict[str, int]:
        # A session caches a table's file listing; a renamed-in table needs a refresh (a view
        # over a new build table does not: its name is new).
        query = f"select label, count(*) as n from {table} group by label"
        rows = self.sql(f"refresh table {table}", query)[1]
        return {row["label"]: row["n"] for row in rows}

    def tables(self, like: str) -> list[str]:
        return sorted(
            row["tableName"] for row in self.sql(f"show tables in {SCHEMA} like '{like}'")[0]
        )

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("publish_project")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    target = {"type": "spark_python", "method": "session", "host": "connect", "schema": SCHEMA}
    profile = {"publish_it": {"target": "default", "outputs": {"default": target}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profile))
    return root


@pytest.fixture(scope="module")
def client(spark_connect_url: str) -> Iterator[ConnectClient]:
    client = ConnectClient(spark_connect_url)
    yield client
    client.close()


def build(project: Path, url: str, select: str = "recs", **variables: Any) -> tuple[int, str]:
    done = run_dbt(
        project, "build", "--select", select, "--vars", json.dumps(variables), spark_remote=url
    )
    return done.returncode, done.stdout


def test_a_table_becomes_a_published_view_keeping_its_rows(
    project: Path, spark_connect_url: str, client: ConnectClient
) -> None:
    code, output = build(project, spark_connect_url, publish="swap", label="t50", rows=50)
    assert code == 0, output
    # With the view over it, which the reader test reads too.
    code, output = build(project, spark_connect_url, "recs+", label="v60", rows=60)
    assert code == 0, output

    assert client.labels(f"{SCHEMA}.recs") == {"v60": 60}
    builds = client.tables("recs__p*")
    # The table it was is kept as the previous build until the next run publishes.
    assert builds[0] == "recs__p00000000000000_00000000" and len(builds) == 2
    assert client.labels(f"{SCHEMA}.{builds[0]}") == {"t50": 50}


def test_a_reader_never_misses_the_table_during_rebuilds(
    project: Path, spark_connect_url: str, client: ConnectClient, tmp_path: Path
) -> None:
    sizes = {"v60": 60, "r70": 70, "r90": 90}
    tables = f"{SCHEMA}.recs,{SCHEMA}.recs_default"
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [
            str(PYTHON),
            "-c",
            READER,
            spark_connect_url,
            tables,
            str(stop),
            json.dumps(sizes),
        ],
        env=spark_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(8)  # the reader is connected and querying
        for label, rows in list(sizes.items())[1:]:
            code, output = build(project, spark_connect_url, "recs+", label=label, rows=rows)
            assert code == 0, output
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["failures"] == []
    assert report["queries"] > 20
    assert {"r70", "r90"} <= set(report["seen"])
    # Only the published build and the one before it remain.
    assert len(client.tables("recs__p*")) == 2


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"label": "dup", "rows": 90, "duplicate": True}, "unique_recs_id"),
        ({"label": "empty", "rows": 0}, "row count 0 is below publish_min_rows 1"),
        ({"label": "huge", "rows": 2000}, "beyond publish_max_row_ratio 10"),
    ],
    ids=["fails-a-test", "empty", "row-count-jump"],
)
def test_a_bad_build_is_not_published(
    project: Path,
    spark_connect_url: str,
    client: ConnectClient,
    variables: dict[str, Any],
    named: str,
) -> None:
    before = client.labels(f"{SCHEMA}.recs")
    builds = client.tables("recs__p*")

    code, output = build(project, spark_connect_url, **variables)

    assert code != 0
    assert "was not published" in output and named in output
    assert client.labels(f"{SCHEMA}.recs") == before
    assert client.tables("recs__p*") == builds


def test_a_run_killed_before_publishing_loses_nothing(
    project: Path, spark_connect_url: str, client: ConnectClient
) -> None:
    before = client.labels(f"{SCHEMA}.recs")
    builds = set(client.tables("recs__p*"))
    variables = json.dumps({"label": "killed", "rows": 95, "slow_check_ms": 20000})
    command = [str(PYTHON.parent / "dbt"), "build", "--select", "recs", "--vars", variables]
    command += ["--project-dir", str(project), "--profiles-dir", str(project)]
    env = spark_env(SPARK_REMOTE=spark_connect_url, DBT_TARGET_PATH=str(project / "target"))
    run = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        # Killed once its build exists, while the checks run.
        deadline = time.monotonic() + 120
        while not set(client.tables("recs__p*")) - builds:
            assert run.poll() is None and time.monotonic() < deadline, "the build never appeared"
            time.sleep(0.5)
        time.sleep(2)
    finally:
        run.kill()
        run.wait(timeout=30)

    assert client.labels(f"{SCHEMA}.recs") == before
    code, output = build(project, spark_connect_url, label="after", rows=96)
    assert code == 0, output
    assert client.labels(f"{SCHEMA}.recs") == {"after": 96}


def test_a_swap_interrupted_between_its_renames_is_restored(
    project: Path, spark_connect_url: str, client: ConnectClient
) -> None:
    code, output = build(project, spark_connect_url, select="plain", label="good", rows=5)
    assert code == 0, output
    # What a run killed between `plain -> plain__dbt_backup` and `build -> plain` leaves.
    client.sql(f"alter table {SCHEMA}.plain rename to {SCHEMA}.plain__dbt_backup")

    # The next run restores the backup first, so even a failing build loses nothing.
    code, output = build(project, spark_connect_url, select="plain", broken=True)
    assert code != 0
    assert "restoring" in output
    assert client.labels(f"{SCHEMA}.plain") == {"good": 5}
    assert client.tables("plain__*") == []


def test_two_builds_at_once_both_finish_and_one_is_published(
    project: Path, spark_connect_url: str, client: ConnectClient
) -> None:
    runs = {}
    for label, rows in (("c1", 91), ("c2", 92)):
        variables = json.dumps({"label": label, "rows": rows})
        command = [str(PYTHON.parent / "dbt"), "build", "--select", "recs", "--vars", variables]
        command += ["--project-dir", str(project), "--profiles-dir", str(project)]
        env = spark_env(
            SPARK_REMOTE=spark_connect_url,
            DBT_TARGET_PATH=str(project / f"target-{label}"),
            DBT_LOG_PATH=str(project / f"logs-{label}"),
        )
        runs[label] = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    outputs = {label: run.communicate(timeout=300)[0] for label, run in runs.items()}

    for label, run in runs.items():
        assert run.returncode == 0, outputs[label]
    assert client.labels(f"{SCHEMA}.recs") in ({"c1": 91}, {"c2": 92})
    # Neither run dropped the other's build.
    labels = [client.labels(f"{SCHEMA}.{name}") for name in client.tables("recs__p*")]
    assert {"c1": 91} in labels and {"c2": 92} in labels
