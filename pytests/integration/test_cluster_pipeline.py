"""The pipeline on the standing cluster: dbt over Connect, BI over Thrift, scoring on the workers.

One build of the bundled sample (schema `pipeline`, small Word2Vec) serves every test: the SQL
layer with the baselines and the `*_default` views, and Word2Vec and item features for a model
that `btrnn train` fits over Connect and publishes to the cluster's S3 store; `btrnn evaluate`
runs over Connect in a schema of its own. The steps are module fixtures, so each test finds the
cluster in the same state whichever tests run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cluster_server import StandingCluster
from pyhive import hive

from btrnn.cluster import MODEL_LOAD_LOG
from btrnn.dbt_runner import run_dbt

SCHEMA = "pipeline"
DBT_TIMEOUT_S = 600
# Small vectors: Word2Vec and training stay quick on 2 cores; the shapes are the pipeline's.
BASE_VARS: dict[str, Any] = {"shop_schema": f"{SCHEMA}_raw", "word2vec_size": 16}
OLD_VARS = {**BASE_VARS, "top_k": 10, "default_recommender": "popularity"}
# A rebuild that changes every published table's rows: K and the default's recommender.
NEW_VARS = {**BASE_VARS, "top_k": 5, "default_recommender": "cooccurrence"}
MODEL_VERSION = "cluster-pipeline"
SCORING_BATCH_SIZE = 16  # many batches per task: a load per batch would show
REBUILD_VARS = {
    **NEW_VARS,
    "model_version": MODEL_VERSION,
    "scoring_batch_size": SCORING_BATCH_SIZE,
    "scoring_partitions": 4,  # the input is one file: spread over both workers' executors
}

# Published views (`publish: view` tables and the *_default views over them).
BASELINES = ("recs_next_order_popularity", "recs_next_order_cooccurrence")
SEED_TABLES = ("recs_bought_next_cooccurrence",)
DEFAULTS = {
    # A default view may, mid-run, still read the table it named before while that table has
    # already switched: any complete version of the tables it can point at is a consistent answer.
    "recs_next_order_default": BASELINES,
    "recs_bought_next_default": SEED_TABLES,
}
PUBLISHED = (*BASELINES, *SEED_TABLES, *DEFAULTS)
# What training and the published views need; the defaults without their parents (`+` would
# pull in every recommender their `depends_on` names, BTRNN's scoring included).
DATA_LAYER = " ".join(
    [
        "+item_features +int_training_windows +int_validation_windows +int_scoring_inputs_users",
        "+int_scoring_inputs_seeds",
        *(f"+{name}" for name in (*BASELINES, *SEED_TABLES)),
        *DEFAULTS,
    ]
)

# Built by the rebuild only, so not among the views read before it: BTRNN's three tables,
# scored on the workers (their scoring models first), and the Word2Vec baseline.
SCORED = (
    "int_users_scored",
    "recs_next_order_btrnn",
    "int_seeds_scored",
    "recs_bought_next_btrnn",
    "int_feed_scored",
    "recs_feed_btrnn",
    "recs_bought_next_word2vec",
)
REBUILT = " ".join([*PUBLISHED, *SCORED])

Answer = tuple[int, int]  # (rows, checksum of every row)


def dbt(
    cluster: StandingCluster, folder: Path, args: list[str], variables: Mapping[str, Any]
) -> subprocess.CompletedProcess[str]:
    """The dbt CLI on the `connect` target of the standing cluster; fails the test on failure."""
    env = {
        **cluster.env,
        "BTRNN_TARGET": "connect",
        "BTRNN_SCHEMA": SCHEMA,
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    return run_dbt(args, variables, env=env, capture=True, timeout=DBT_TIMEOUT_S)


def answer(cursor: Any, name: str) -> Answer:
    """A table's row count and the sum of its rows' hashes: equal only for the same rows."""
    cursor.execute(f"select count(*), sum(cast(hash(*) as bigint)) from {SCHEMA}.{name}")
    rows, checksum = cursor.fetchone()
    return int(rows), int(checksum)


def thrift_cursor(cluster: StandingCluster) -> Any:
    return hive.connect("127.0.0.1", port=cluster.config.thrift_port, username="bi").cursor()


@pytest.fixture(scope="module")
def pipeline(standing_cluster: StandingCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data layer and the published views built once over Connect (the 'old' versions)."""
    folder = tmp_path_factory.mktemp("pipeline")
    dbt(standing_cluster, folder, ["run", "--select", DATA_LAYER], OLD_VARS)
    return folder


@dataclass
class Dashboard:
    """A BI client: every published view, queried in turn over Thrift until stopped."""

    cluster: StandingCluster
    answers: list[tuple[str, Answer]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rounds: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        cursor = thrift_cursor(self.cluster)
        while not self.stop.is_set():
            for name in PUBLISHED:
                try:
                    self.answers.append((name, answer(cursor, name)))
                except Exception as err:  # every failure is the finding: keep it, go on
                    self.errors.append(f"{name} at {time.strftime('%X')}: {err!r}"[:2000])
                    cursor = thrift_cursor(self.cluster)
            self.rounds += 1


@dataclass(frozen=True)
class Rebuild:
    old: dict[str, Answer]
    new: dict[str, Answer]
    dashboard: Dashboard
    seconds: float


@pytest.fixture(scope="module")
def trained(standing_cluster: StandingCluster, pipeline: Path) -> str:
    """`btrnn train` reads the windows over Connect and publishes to the cluster's S3 store."""
    trained = subprocess.run(
        [
            sys.executable,
            "-m",
            "btrnn.cli",
            "train",
            "--schema",
            SCHEMA,
            "--units",
            "8",
            "--epochs",
            "1",
            "--model-uri",
            standing_cluster.env["BTRNN_MODEL_URI"],
            "--version",
            MODEL_VERSION,
        ],  # fmt: skip
        env=standing_cluster.env,
        capture_output=True,
        text=True,
        timeout=DBT_TIMEOUT_S,
    )
    assert trained.returncode == 0, trained.stderr[-4000:]
    return MODEL_VERSION


@pytest.fixture(scope="module")
def rebuilt_while_reading(
    standing_cluster: StandingCluster, pipeline: Path, trained: str
) -> Rebuild:
    """One dbt run rebuilds the published tables with NEW_VARS and scores BTRNN's tables
    (personalised, seed-item, feed) on the workers, while a dashboard reads the published views.

    `dbt run`, not `build`: each published model's error tests already run against its build
    before the switch (`publish: view`); the after-the-fact tests would only add a minute.
    """
    cursor = thrift_cursor(standing_cluster)
    old = {name: answer(cursor, name) for name in PUBLISHED}
    dashboard = Dashboard(standing_cluster)
    reader = threading.Thread(target=dashboard.run, daemon=True)
    started = time.monotonic()
    reader.start()
    try:
        dbt(standing_cluster, pipeline, ["run", "--select", REBUILT], REBUILD_VARS)
    finally:
        dashboard.stop.set()
        reader.join(timeout=120)
    new = {name: answer(cursor, name) for name in PUBLISHED}
    return Rebuild(old, new, dashboard, time.monotonic() - started)


def test_bi_reads_complete_tables_over_thrift_while_dbt_rebuilds_them(
    rebuilt_while_reading: Rebuild,
):
    old, new = rebuilt_while_reading.old, rebuilt_while_reading.new
    dashboard = rebuilt_while_reading.dashboard
    assert not dashboard.errors, "BI queries failed during the build:\n" + "\n".join(
        dashboard.errors
    )
    assert all(old[name] != new[name] for name in PUBLISHED), (old, new)
    allowed = {name: {old[name], new[name]} for name in PUBLISHED}
    for view, tables in DEFAULTS.items():
        allowed[view] |= {version for table in tables for version in allowed[table]}
    wrong = [(name, got) for name, got in dashboard.answers if got not in allowed[name]]
    assert not wrong, f"answers that are no complete version of the table: {wrong[:10]}"
    # The reader ran through the build: it saw tables both before and after their switch.
    seen = set(dashboard.answers)
    switched = [name for name in PUBLISHED if {(name, old[name]), (name, new[name])} <= seen]
    print(
        f"rebuild {rebuilt_while_reading.seconds:.0f} s; dashboard: {dashboard.rounds} rounds, "
        f"{len(dashboard.answers)} answers, switched: {switched}"
    )
    assert dashboard.rounds >= 2
    assert switched, f"no table was seen both before and after its switch: {seen}"


def test_scoring_loads_the_model_once_per_executor_python_worker(
    standing_cluster: StandingCluster, rebuilt_while_reading: Rebuild
):
    cursor = thrift_cursor(standing_cluster)
    cursor.execute(
        "select count(distinct user_id), count(*), min(model_version), max(model_version) "
        f"from {SCHEMA}.recs_next_order_btrnn"
    )
    users, rows, first_version, last_version = cursor.fetchone()
    assert first_version == last_version == MODEL_VERSION
    assert users > 100 and rows == users * NEW_VARS["top_k"]

    log = standing_cluster.folder / MODEL_LOAD_LOG
    loads = [json.loads(line) for line in log.read_text().splitlines()]
    loads = [load for load in loads if load["version"] == MODEL_VERSION]
    pids = [load["pid"] for load in loads]
    assert len(pids) == len(set(pids)), f"a Python worker loaded the model twice: {loads}"
    # Loaded in the executors' folders on the workers, never in the dbt client.
    workers = {Path(load["cwd"]).relative_to(standing_cluster.folder).parts[0] for load in loads}
    assert workers and workers <= {"work-1", "work-2"}, loads
    batches = -(-users // SCORING_BATCH_SIZE)
    print(f"{users} users, {batches} batches; loads: {len(pids)} on {sorted(workers)}")
    assert 1 <= len(pids) <= 4, f"more loads than Python workers: per batch or row? {loads}"
    assert batches >= 10 * len(pids)


def test_bi_sees_the_descriptions_of_every_published_table(
    standing_cluster: StandingCluster, pipeline: Path, rebuilt_while_reading: Rebuild
):
    """persist_docs: each published view carries its model's description, and its columns' (a
    *_default view: those of the recommender table it publishes, whose rows it shows), also after
    a rebuild switched it to a new build."""
    nodes = json.loads((pipeline / "target" / "manifest.json").read_text())["nodes"]
    chosen = NEW_VARS["default_recommender"]
    columns_of = {
        "recs_next_order_default": f"recs_next_order_{chosen}",
        "recs_bought_next_default": f"recs_bought_next_{chosen}",
    }
    cursor = thrift_cursor(standing_cluster)
    for name in (*PUBLISHED, "recs_next_order_btrnn"):
        model = nodes[f"model.btrnn.{name}"]
        cursor.execute(f"describe table extended {SCHEMA}.{name}")
        rows = [tuple(row) for row in cursor.fetchall()]
        details = {row[0]: (row[1] or "").strip() for row in rows}
        assert details["Comment"] == model["description"].strip(), name
        comments = {row[0]: (row[2] or "").strip() for row in rows[: rows.index(("", "", ""))]}
        described = nodes[f"model.btrnn.{columns_of.get(name, name)}"]["columns"]
        documented = {c: d["description"].strip() for c, d in described.items()}
        assert documented and set(documented) <= set(comments), name
        assert {c: comments[c] for c in documented} == documented, name


# Every published table and its key (the *_default views are their chosen tables).
COMPARED = {
    **{name: ["user_id"] for name in (*BASELINES, "recs_next_order_btrnn")},
    **{
        name: ["seed_product_id"]
        for name in (*SEED_TABLES, "recs_bought_next_btrnn", "recs_bought_next_word2vec")
    },
    "recs_feed_btrnn": ["user_id", "step"],
}


def _sorted(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return frame.sort_values([*key, "rank"], ignore_index=True)


def test_published_tables_equal_a_local_target_run_on_the_same_data(
    standing_cluster: StandingCluster,
    rebuilt_while_reading: Rebuild,
    warehouse: Any,  # conftest.Warehouse: a local-target state of its own
):
    """The same selection, vars and model on the `local` target (in-process Spark): every
    published table has the same ids and ranks, scores within float tolerance."""
    store = {k: v for k, v in standing_cluster.env.items() if k.startswith(("AWS_", "BTRNN_MODEL"))}
    store["BTRNN_SCHEMA"] = SCHEMA
    selection = " ".join([DATA_LAYER, *SCORED])
    warehouse.dbt("run", "--select", selection, variables=REBUILD_VARS, env=store, capture=True)

    cursor = thrift_cursor(standing_cluster)
    for name, key in COMPARED.items():
        cursor.execute(f"select * from {SCHEMA}.{name}")
        columns = [column[0].split(".")[-1] for column in cursor.description]
        on_cluster = _sorted(pd.DataFrame(cursor.fetchall(), columns=columns), key)
        local = _sorted(warehouse.read(name, SCHEMA), key)
        assert len(on_cluster) == len(local) > 0, name
        for column in (*key, "rank", "product_id", "recommender", "model_version"):
            assert on_cluster[column].tolist() == local[column].tolist(), f"{name}.{column}"
        np.testing.assert_allclose(on_cluster.score, local.score, rtol=1e-5, err_msg=name)


def test_the_evaluation_runs_on_the_cluster(
    standing_cluster: StandingCluster,
    pipeline: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """`btrnn evaluate` over Connect: the held-out data layer and the rank tables built on the
    cluster, BTRNN trained over Connect into the S3 store's evaluation prefix and ranked on the
    workers, the ranks read back over Connect; BI reads them over Thrift."""
    from btrnn.artifacts import ModelStore

    schema = f"{SCHEMA}_eval"
    variables = tmp_path / "vars.yml"
    variables.write_text(json.dumps(BASE_VARS))
    report = tmp_path / "evaluation.html"
    env = {
        **standing_cluster.env,
        "BTRNN_TARGET": "connect",
        "BTRNN_SCHEMA": SCHEMA,  # the published schema, where the verdict is recorded
        "DBT_TARGET_PATH": str(pipeline / "target-evaluation"),
        "DBT_LOG_PATH": str(pipeline / "logs"),
    }
    evaluated = subprocess.run(
        [
            sys.executable,
            "-m",
            "btrnn.cli",
            "evaluate",
            "--vars-file",
            str(variables),
            "--schema",
            schema,
            "--units",
            "8",
            "--epochs",
            "1",
            "--no-price-check",
            "--report",
            str(report),
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=DBT_TIMEOUT_S,
    )
    assert evaluated.returncode == 0, (evaluated.stdout + evaluated.stderr)[-4000:]
    figures = json.loads(report.with_suffix(".json").read_text())
    version = figures["parameters"]["model_version"]
    for name, value in standing_cluster.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    store = ModelStore.from_uri(standing_cluster.env["BTRNN_MODEL_URI"] + "/evaluation")
    assert store.current_version() == version  # trained over Connect into the S3 store

    cursor = thrift_cursor(standing_cluster)
    cursor.execute(
        "select recommender, count(*), min(rank), max(model_version) "
        f"from {schema}.eval_target_ranks group by recommender"
    )
    counts = {row[0]: row[1:] for row in cursor.fetchall()}
    users = figures["parameters"]["users"]
    assert set(counts) == set(figures["summaries"]) and users > 100
    assert {rows for rows, _, _ in counts.values()} == {users}
    assert counts["btrnn"][1] >= 1 and counts["btrnn"][2] == version
    for name, summary in figures["summaries"].items():
        assert summary["users"] == users, name

    log = standing_cluster.folder / MODEL_LOAD_LOG
    loads = [json.loads(line) for line in log.read_text().splitlines()]
    loads = [load for load in loads if load["version"] == version]
    workers = {Path(load["cwd"]).relative_to(standing_cluster.folder).parts[0] for load in loads}
    assert loads and workers <= {"work-1", "work-2"}, loads  # ranked on the workers
    cursor.execute(f"select count(*) from {SCHEMA}.release_gate")
    assert cursor.fetchone()[0] >= 1
