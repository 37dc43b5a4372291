"""The evaluation protocol on the bundled sample: no leakage, full ranking, gate, report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from jit import JDK_JAVA_OPTIONS, for_word2vec

from btrnn.evaluation.protocol import (
    EvaluationConfig,
    build_data_layer,
    run_evaluation,
)
from btrnn.runtime import PROJECT_ROOT
from btrnn.spec import spec_hash

# The model spec's defaults on a smaller budget (epochs are not part of the spec: btrnn.spec), so
# the README's daily run below trains a model of the judged spec.
TRAINING = replace(EvaluationConfig().train, epochs=3)


@pytest.fixture(scope="module")
def evaluation(warehouse, tmp_path_factory):
    report = tmp_path_factory.mktemp("report") / "evaluation.html"
    patch = pytest.MonkeyPatch()
    for name, value in warehouse.env.items():
        patch.setenv(name, value)
    config = EvaluationConfig(train=TRAINING, seeds=2, report=report)
    try:
        with patch.context() as word2vec:  # the data layer's JVM fits Word2Vec (pytests/jit.py)
            for_word2vec(word2vec)
            build_data_layer(config)
        result = run_evaluation(replace(config, reuse_data_layer=True))
    finally:
        patch.undo()
    return warehouse, result


def test_held_out_purchases_are_invisible_to_training(evaluation):
    warehouse, _ = evaluation
    ranked = warehouse.read("int_purchases_ranked", schema="btrnn_eval")
    histories = warehouse.read("int_purchase_histories", schema="btrnn_eval").set_index("user_id")
    counts = ranked.groupby("user_id").purchase_count.first()
    tested = counts[counts >= 3]
    assert (histories.purchase_count[tested.index] == tested - 2).all()
    windows = warehouse.read("int_training_windows", schema="btrnn_eval")
    last_label = windows.groupby("user_id").label_rank.max()
    held_out_users = last_label.index.intersection(tested.index)
    assert len(held_out_users) > 0
    assert (last_label[held_out_users] <= tested[held_out_users] - 2).all()


def test_validation_targets_are_the_second_to_last_purchases(evaluation):
    warehouse, result = evaluation
    ranked = warehouse.read("int_purchases_ranked", schema="btrnn_eval")
    validation = warehouse.read("int_validation_windows", schema="btrnn_eval")
    expected = ranked[ranked.evaluation_split == "validation"].set_index("user_id")
    got = validation.set_index("user_id").sort_index()
    assert got.index.equals(expected.sort_index().index)
    assert (got.label_product_id == expected.product_id[got.index]).all()
    histories = warehouse.read("int_purchase_histories", schema="btrnn_eval").set_index("user_id")
    for user, row in got.head(200).iterrows():  # the input: the last 11 training purchases
        history = list(histories.product_ids[user])[-11:]
        assert list(row.input_product_ids) == [0] * (11 - len(history)) + history


def test_training_metadata_holds_the_validation_curve(evaluation):
    warehouse, result = evaluation
    from btrnn.artifacts import ModelStore
    from btrnn.bundle import ModelBundle

    store = ModelStore.from_uri(str(warehouse.root / "evaluation-models"))
    metrics = ModelBundle.read(store.fetch(None, warehouse.root / "fetched")).metadata["metrics"]
    assert metrics["validation_windows"] == result.summaries["btrnn"].users
    assert len(metrics["curve"]) == metrics["epochs_run"] >= metrics["best_epoch"] >= 1
    best = metrics["curve"][metrics["best_epoch"] - 1]
    assert best[metrics["monitor"]] == max(p[metrics["monitor"]] for p in metrics["curve"])


def test_seeds_give_a_mean_and_a_spread(evaluation):
    _, result = evaluation
    runs = result.runs["btrnn"]
    assert len(runs) == 2 and len(result.train_seconds) == 2
    mean = np.mean([r.ndcg_at_100 for r in runs])
    assert result.summaries["btrnn"].ndcg_at_100 == pytest.approx(mean)
    assert result.spread["btrnn"]["ndcg_at_100"] == pytest.approx(
        np.std([r.ndcg_at_100 for r in runs])
    )


def test_every_model_ranks_every_user_against_all_candidates(evaluation):
    warehouse, result = evaluation
    ranked = warehouse.read("int_purchases_ranked", schema="btrnn_eval")
    users = ranked[ranked.purchase_count >= 3].user_id.nunique()
    candidates = {s.candidates for s in result.summaries.values()}
    assert set(result.summaries) == {
        "btrnn",
        "btrnn_seed",
        "popularity",
        "cooccurrence",
        "word2vec",
    }
    assert {s.users for s in result.summaries.values()} == {users}
    assert len(candidates) == 1
    n_candidates = candidates.pop()
    for ranks in result.ranks.values():
        assert ranks.min() >= 1 and ranks.max() <= n_candidates


def test_btrnn_learns_the_planted_order(evaluation):
    _, result = evaluation
    btrnn = result.summaries["btrnn"]
    assert btrnn.mean_rank_percentile < 0.25  # random is 50%
    assert btrnn.wilcoxon_p_value < 1e-6
    assert btrnn.ndcg_at_100 > result.summaries["popularity"].ndcg_at_100


def test_gate_verdict_and_report_are_written(evaluation):
    warehouse, result = evaluation
    gate = warehouse.read("release_gate")  # the published schema's, not the evaluation's
    assert len(gate) == 1
    verdict = gate.iloc[0]
    assert verdict.passed == result.gate.passed and verdict.metric == "ndcg_at_100"
    expected = "btrnn" if result.gate.passed else result.gate.best_baseline
    assert verdict.default_recommender == expected
    figures = dict(verdict.figures)
    assert set(figures) == {"btrnn", "popularity", "cooccurrence", "word2vec"}
    assert figures["btrnn"] == pytest.approx(result.summaries["btrnn"].ndcg_at_100)
    spec = json.loads(verdict.training)  # the judged spec: no seed, no budget
    assert spec == result.spec and verdict.spec_hash == spec_hash(spec)
    assert (spec["units"], spec["every_prefix_windows"], spec["seed_windows"]) == (128, True, True)
    assert "seed" not in spec and "epochs" not in spec
    assert json.loads(verdict.data)["shop_schema"] == "btrnn_raw"
    html = result.report.read_text()
    assert all(name in html for name in result.summaries)
    assert "<svg" in html and result.gate.message.split(":")[0] in html
    record = json.loads(result.report.with_suffix(".json").read_text())
    assert np.isclose(
        record["summaries"]["btrnn"]["ndcg_at_100"], result.summaries["btrnn"].ndcg_at_100
    )


def _compiled_defaults(warehouse, variables=None, env=None) -> tuple[str, str, str]:
    """The tables `dbt compile` makes the two *_default views select from, and its log."""
    done = warehouse.dbt(
        "compile", "--select", "recs_next_order_default recs_bought_next_default",
        variables=variables, env=env, capture=True,
    )  # fmt: skip
    marts = warehouse.root / "target" / "compiled" / "btrnn" / "models" / "marts"
    tables = []
    for view in ("recs_next_order_default", "recs_bought_next_default"):
        sql = (marts / f"{view}.sql").read_text()
        tables.append(re.search(r"from\s+[`\w]+\.`?(recs_\w+?)`?\s", sql).group(1))
    return tables[0], tables[1], done.stdout


def _within_ties(rank: int, above: np.ndarray, ties: np.ndarray) -> bool:
    """1 + scores strictly above <= rank <= 1 + scores above or (nearly) tied: the rank counts
    strictly higher scores; two runs of one model may differ in the last bits."""
    return 1 + int(above.sum()) <= rank <= 1 + int(above.sum() + ties.sum())


SEED_TABLES = {
    "cooccurrence": "recs_bought_next_cooccurrence",
    "word2vec": "recs_bought_next_word2vec",
    "btrnn_seed": "recs_bought_next_btrnn",
}
IN_EVALUATION_SCHEMA = {"BTRNN_SCHEMA": "btrnn_eval"}
SHOP_FILES = ("orders", "product_views", "products")


@pytest.fixture(scope="module")
def seed_tables(evaluation) -> dict:
    """The vars of the evaluation's last rank build, which built the published tables (the price
    check) in the evaluation schema with its data and its last model."""
    warehouse, result = evaluation
    return {
        "evaluation_holdout": True,
        "model_uri": str(warehouse.root / "evaluation-models"),
        "model_version": result.model_version,
    }


def test_the_price_check_compares_every_recommender_with_seeds_and_purchases(evaluation):
    """The paper's section 3.2 check: every published table's items for the tested users, each
    tested user's seed (last purchase) and every purchase, with the catalogue's prices."""
    warehouse, result = evaluation
    prices = warehouse.read("eval_price_comparison", "btrnn_eval")
    tests = warehouse.read("int_eval_test_inputs", "btrnn_eval")
    histories = warehouse.read("int_purchase_histories", "btrnn_eval")
    samples = prices.groupby("sample").size()
    assert samples["seed"] == len(tests)
    assert samples["purchase"] == histories.purchase_count.sum()
    recommended = prices[prices["sample"] == "recommended"].groupby("recommender").size()
    assert set(recommended.index) == set(result.summaries)  # btrnn, btrnn_seed, the baselines
    assert recommended["btrnn"] == recommended["popularity"] == 20 * len(tests)  # top_k each
    assert prices.price.notna().all()  # the sample's catalogue prices every product
    assert {(c.recommender, c.reference) for c in result.prices} == {
        (r, s) for r in recommended.index for s in ("seed", "purchase")
    }
    for comparison in result.prices:
        assert 0.0 <= comparison.ks_statistic <= 1.0 and comparison.recommended_median > 0
    record = json.loads(result.report.with_suffix(".json").read_text())
    assert len(record["prices"]) == len(result.prices)
    assert "Prices of recommended items" in result.report.read_text()


def test_plain_dbt_publishes_the_newest_verdict_for_its_data_and_model(evaluation, seed_tables):
    """dbt alone (no gate passed in by the btrnn command) follows the newest release_gate verdict
    for the run's data; a verdict for BTRNN stands only for a BTRNN table scored by a model
    trained with the judged settings (btrnn train's model_trainings record), else the best
    baseline, saying why; data never evaluated gets btrnn, saying why."""
    warehouse, result = evaluation
    judged = result.spec
    verdict = {
        "run_id": "judged", "metric": "ndcg_at_100", "passed": True,
        "figures": {"btrnn": 0.3, "cooccurrence": 0.2}, "default_recommender": "btrnn",
        "best_baseline": "cooccurrence", "spec": judged, "spec_hash": spec_hash(judged),
        "message": "PASS",
    }  # fmt: skip
    wider_spec = {**judged, "units": 600}
    wider = {
        **verdict, "run_id": "judged-wider", "spec": wider_spec, "spec_hash": spec_hash(wider_spec)
    }  # fmt: skip
    env = IN_EVALUATION_SCHEMA

    def record(verdict: dict, env: dict | None = env) -> None:
        # The compiles' vars (the data key ignores them): dbt parses the project once for both.
        arguments = json.dumps({"verdict": verdict})
        warehouse.dbt(
            "run-operation", "record_release_gate", "--args", arguments,
            variables=seed_tables, env=env,
        )  # fmt: skip

    record(verdict)
    # Both BTRNN tables scored by a model trained as judged (seed aside).
    personal, seeds, _ = _compiled_defaults(warehouse, seed_tables, env)
    assert (personal, seeds) == ("recs_next_order_btrnn", "recs_bought_next_btrnn")
    # The data key is what the vars resolve to: the sample's files by their absolute paths are
    # the same data as by the project's relative ones.
    sample = PROJECT_ROOT / "data" / "sample"
    files = {"format": "csv", **{n: str(sample / f"{n}.csv") for n in SHOP_FILES}}
    absolute = {**seed_tables, "shop_files": files}
    assert _compiled_defaults(warehouse, absolute, env)[:2] == (personal, seeds)

    record(wider)
    assert len(warehouse.read("release_gate", "btrnn_eval")) == 2
    _, seeds, log = _compiled_defaults(warehouse, seed_tables, env)
    assert seeds == "recs_bought_next_cooccurrence"
    assert f"model {result.model_version} has spec {spec_hash(judged)}" in log
    assert "trained with units=128 (judged: 600)" in log

    # The published schema holds no BTRNN table: nothing to publish, so the best baseline.
    record({**verdict, "run_id": "judged-published"}, env=None)
    personal, seeds, log = _compiled_defaults(warehouse, seed_tables)
    assert (personal, seeds) == ("recs_next_order_cooccurrence", "recs_bought_next_cooccurrence")
    assert (
        "recs_next_order_default: publishing cooccurrence: the best baseline: the release gate "
        "chose btrnn, but recs_next_order_btrnn is not built yet"
    ) in log

    # Data never evaluated: the gate fails closed, and says so.
    another_shop = {**seed_tables, "shop_schema": "another_shop_raw"}
    personal, seeds, log = _compiled_defaults(warehouse, another_shop, env)
    assert (personal, seeds) == ("recs_next_order_cooccurrence", "recs_bought_next_cooccurrence")
    assert "publishing cooccurrence: no release gate verdict for this data" in log
    until_evaluated = {**another_shop, "default_recommender_unevaluated": "btrnn"}
    personal, _, _ = _compiled_defaults(warehouse, until_evaluated, env)
    assert personal == "recs_next_order_btrnn"


def test_ranks_agree_with_the_tables_each_recommender_publishes(evaluation, seed_tables):
    """The gate judges the code that fills the tables: a target in a user's seed table sits at
    its eval rank (up to ties), a target missing from it ranks below every row; BTRNN's
    personalised rank is the model's own full ranking."""
    warehouse, result = evaluation
    tables = SEED_TABLES
    tests = warehouse.read("int_eval_test_inputs", "btrnn_eval").set_index("user_id")
    ranks = warehouse.read("eval_target_ranks", "btrnn_eval")
    assert set(ranks.model_version[ranks.recommender == "btrnn"]) == {result.model_version}
    ranks = ranks.pivot(index="user_id", columns="recommender", values="rank")
    n_candidates = len(warehouse.read("int_eval_candidates", "btrnn_eval"))
    for recommender, table in tables.items():
        rows = warehouse.read(table, "btrnn_eval")
        by_seed = dict(tuple(rows.groupby("seed_product_id")))
        hits = misses = 0
        for user, test in tests.iterrows():
            recs = by_seed.get(test.seed_product_id)
            if recs is None:
                continue  # the per-user table's fallback serves this user
            rank, scores = ranks.at[user, recommender], recs.score.to_numpy()
            hit = recs[recs.product_id == test.target_product_id]
            if len(hit):
                at, score = int(hit["rank"].iloc[0]), float(hit.score.iloc[0])
                close = np.isclose(scores, score, rtol=1e-5, atol=0)
                assert _within_ties(rank, (scores > score) & ~close, close), (recommender, user)
                assert rank <= at + close.sum() - 1
                hits += 1
            else:
                assert (
                    rank
                    >= 1
                    + ((scores > scores.min()) & ~np.isclose(scores, scores.min(), rtol=1e-5)).sum()
                )
                misses += 1
        assert hits > 0 and misses > 0, recommender

    from btrnn.artifacts import ModelStore
    from btrnn.scoring import Scorer

    store = ModelStore.from_uri(str(warehouse.root / "evaluation-models"))
    scorer = Scorer(store.fetch(result.model_version, warehouse.root / "fetched-latest"))
    sample = tests.head(300)
    logits = scorer.logits(np.stack(sample.input_product_ids.tolist()).astype(np.int64))
    columns = scorer.label_columns(sample.target_product_id.to_numpy())
    for row, (user, column) in enumerate(zip(sample.index, columns, strict=True)):
        if column < 0:
            assert ranks.at[user, "btrnn"] == n_candidates  # outside I': BTRNN cannot name it
            continue
        target = logits[row, column]
        close = np.isclose(logits[row], target, rtol=1e-5, atol=1e-6)
        assert _within_ties(ranks.at[user, "btrnn"], (logits[row] > target) & ~close, close)


def test_the_readme_daily_run_after_an_evaluation_publishes_btrnn(evaluation):
    """README "Plain dbt: the daily run" after `btrnn evaluate`, as written: plain dbt from the
    virtual environment, from the project folder, with nothing the btrnn command sets for it
    (relative shop paths resolve against the project), then `btrnn train` with the spec's
    defaults (a smaller budget) and the scoring build: the default views serve BTRNN."""
    warehouse, result = evaluation
    assert result.gate.passed, result.gate.message
    # JDK_JAVA_OPTIONS: the data layer fits Word2Vec with both JIT compilers (pytests/jit.py).
    unset = ("BTRNN_PROJECT_DIR", "BTRNN_MODEL_URI", "BTRNN_SCHEMA", JDK_JAVA_OPTIONS)
    env = {k: v for k, v in os.environ.items() if k not in unset} | warehouse.env
    tools = Path(sys.executable).parent

    def run(*command: str) -> str:
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, text=True, capture_output=True, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    dbt = (str(tools / "dbt"), "build", "--profiles-dir", "profiles", "--selector")
    run(*dbt, "data_layer")
    run(str(tools / "btrnn"), "train", "--epochs", "1")
    log = run(*dbt, "scoring")
    for view in ("recs_next_order_default", "recs_bought_next_default"):
        assert f"{view}: publishing btrnn: the release gate chose it for this data" in log
