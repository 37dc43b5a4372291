"""A brand-new dbt project on `type: spark_python`, with no `file_format` anywhere.

It must build on plain Spark out of the box: a seed with quotes, backslashes, percent signs,
newlines and empty cells; a SQL view and a SQL table; Python table models returning a Spark, a
pandas (with a `packages` config) and a pandas-on-Spark DataFrame; and an incremental Python
model, run twice so the second run takes the incremental path. The project runs with four
threads, so the four Python models and the SQL table build at once on the one SparkSession.
Then a seed reload that fails must leave the published seed as it was.
"""

from __future__ import annotations

import subprocess
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from spark_python_harness import (
    DBT,
    connect_target,
    read_all_over_connect,
    run_in_group,
    session_target,
    spark_env,
)

SCHEMA = "fresh"

SEED = r'''id,name,note,amount,joined
1,O'Brien,"C:\temp\new",12.30,2024-01-31
2,50% off,,,
3,"line one
line two","it's ""quoted""",0.05,2023-12-01
'''

FILES = {
    "dbt_project.yml": """
        name: fresh
        version: "1.0"
        config-version: 2
        profile: fresh
        seeds:
          fresh:
            people:
              +column_types:
                amount: decimal(10,2)
    """,
    "models/people_sql.sql": """
        select id, name, note, amount, joined from {{ ref('people') }}
    """,
    "models/people_py.py": """
        def model(dbt, session):
            dbt.config(materialized="table")
            return dbt.ref("people_sql").selectExpr("id", "upper(name) as name")
    """,
    "models/people_totals.sql": """
        {{ config(materialized="table") }}
        select count(*) as people, sum(amount) as amount from {{ ref('people_sql') }}
    """,
    "models/people_pandas.py": """
        def model(dbt, session):
            dbt.config(packages=["pandas>=1", "pyarrow"])
            people = dbt.ref("people_sql").select("id", "name").toPandas()
            return people.assign(name=people["name"].str.len())
    """,
    "models/people_pandas_on_spark.py": """
        def model(dbt, session):
            people = dbt.ref("people_sql").select("id", "name").pandas_api()
            return people.assign(name=people["name"].str.lower())
    """,
    "models/people_increments.py": """
        def model(dbt, session):
            dbt.config(materialized="incremental")
            df = dbt.ref("people_sql").select("id", "amount")
            if dbt.is_incremental:
                # Only what is new since the last run: the second build adds no rows.
                newest = session.table(f"{dbt.this}").agg({"id": "max"}).collect()[0][0]
                df = df.filter(df.id > newest)
            return df
    """,
}


EXPECTED_PEOPLE = [
    {
        "id": 1,
        "name": "O'Brien",
        "note": "C:\\temp\\new",
        "amount": Decimal("12.30"),
        "joined": "2024-01-31",
    },
    {"id": 2, "name": "50% off", "note": None, "amount": None, "joined": None},
    {
        "id": 3,
        "name": "line one\nline two",
        "note": 'it\'s "quoted"',
        "amount": Decimal("0.05"),
        "joined": "2023-12-01",
    },
]

# The pandas model returns each name's length, the pandas-on-Spark model each name in lower case.
EXPECTED_PANDAS = [{"id": 1, "name": 7}, {"id": 2, "name": 7}, {"id": 3, "name": 17}]
EXPECTED_PANDAS_ON_SPARK = [
    {"id": 1, "name": "o'brien"},
    {"id": 2, "name": "50% off"},
    {"id": 3, "name": "line one\nline two"},
]


def dbt(root: Path, *args: str, spark_remote: str | None = None) -> str:
    """The real dbt CLI on the project in `root`; fails the test with its output if it fails."""
    done = run_dbt(root, *args, spark_remote=spark_remote)
    assert done.returncode == 0, f"dbt {' '.join(args)} exited {done.returncode}:\n{done.stdout}"
    return done.stdout


def run_dbt(
    root: Path, *args: str, spark_remote: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real dbt CLI in its own process group; over Spark Connect if `spark_remote` is set."""
    command = [str(DBT), *args, "--project-dir", str(root), "--profiles-dir", str(root)]
    env = spark_env(DBT_TARGET_PATH=str(root / "target"), DBT_LOG_PATH=str(root / "logs"))
    if spark_remote:
        env["SPARK_REMOTE"] = spark_remote
    returncode, output = run_in_group(command, env)
    return subprocess.CompletedProcess(command, returncode, output)


def read(root: Path, table: str) -> list[dict[str, Any]]:
    """A table's rows from its Parquet files, by id (no second JVM on the Derby metastore)."""
    rows = pq.read_table(root / "warehouse" / f"{SCHEMA}.db" / table).to_pylist()
    for row in rows:
        if row.get("joined") is not None:
            row["joined"] = row["joined"].isoformat()
    return sorted(rows, key=lambda row: row.get("id") or 0)


def write_project(root: Path, target: dict[str, Any]) -> Path:
    """The fresh project in `root`, its profile's one target `target`."""
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    (root / "seeds").mkdir()
    (root / "seeds" / "people.csv").write_text(SEED)
    profile = {"fresh": {"target": "default", "outputs": {"default": target}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profile))
    return root


@pytest.fixture(scope="module")
def fresh_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fresh_project")
    return write_project(root, session_target(root, SCHEMA) | {"threads": 4})


def test_fresh_project_builds_with_the_defaults(fresh_project: Path) -> None:
    assert "file_format" not in "".join(FILES.values())

    dbt(fresh_project, "build")
    # Again: the incremental model takes its incremental path (append) and adds nothing.
    dbt(fresh_project, "run", "--select", "people_increments")

    assert read(fresh_project, "people") == EXPECTED_PEOPLE
    assert read(fresh_project, "people_py") == [
        {"id": 1, "name": "O'BRIEN"},
        {"id": 2, "name": "50% OFF"},
        {"id": 3, "name": "LINE ONE\nLINE TWO"},
    ]
    assert read(fresh_project, "people_totals") == [{"people": 3, "amount": Decimal("12.35")}]
    assert read(fresh_project, "people_pandas") == EXPECTED_PANDAS
    assert read(fresh_project, "people_pandas_on_spark") == EXPECTED_PANDAS_ON_SPARK
    assert read(fresh_project, "people_increments") == [
        {"id": row["id"], "amount": row["amount"]} for row in EXPECTED_PEOPLE
    ]
    # Every table is Parquet (read above with pyarrow; people_sql is a view, dbt's default) and
    # no build table is left over.
    tables = sorted(p.name for p in (fresh_project / "warehouse" / f"{SCHEMA}.db").iterdir())
    assert tables == [
        "people",
        "people_increments",
        "people_pandas",
        "people_pandas_on_spark",
        "people_py",
        "people_totals",
    ]


def test_failed_seed_reload_keeps_the_published_seed(fresh_project: Path) -> None:
    before = read(fresh_project, "people")
    project_file = fresh_project / "dbt_project.yml"
    good = project_file.read_text()
    # A type Spark refuses (precision over 38): the reload fails once it builds the new table,
    # where dbt-spark's seed has already dropped the published one.
    project_file.write_text(good.replace("decimal(10,2)", "decimal(39,2)"))
    try:
        failed = run_dbt(fresh_project, "seed")
    finally:
        project_file.write_text(good)

    assert failed.returncode != 0, failed.stdout
    assert "people" in failed.stdout
    assert read(fresh_project, "people") == before


def test_fresh_project_builds_over_spark_connect(
    spark_connect_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    schema = "fresh_connect"
    target = connect_target(spark_connect_url, schema) | {"threads": 4}
    root = write_project(tmp_path_factory.mktemp("fresh_connect"), target)

    built = dbt(root, "build", spark_remote=spark_connect_url)
    dbt(root, "run", "--select", "people_increments", spark_remote=spark_connect_url)

    # Hive support is the server's static conf: no per-statement warning about it floods the log.
    assert "catalogImplementation" not in built

    # Read back by a Connect client: decimals and dates come as their text.
    as_text = [
        {k: None if v is None else str(v) for k, v in row.items()} for row in EXPECTED_PEOPLE
    ]
    for row in as_text:
        row["id"] = int(row["id"])  # type: ignore[arg-type]
    tables = ("people", "people_increments", "people_totals", "people_pandas")
    tables += ("people_pandas_on_spark",)
    rows = read_all_over_connect(spark_connect_url, [f"{schema}.{table}" for table in tables])
    assert rows[f"{schema}.people"] == as_text
    assert rows[f"{schema}.people_increments"] == [
        {"id": row["id"], "amount": row["amount"]} for row in as_text
    ]
    assert rows[f"{schema}.people_totals"] == [{"people": 3, "amount": "12.35"}]
    assert rows[f"{schema}.people_pandas"] == EXPECTED_PANDAS
    assert rows[f"{schema}.people_pandas_on_spark"] == EXPECTED_PANDAS_ON_SPARK
