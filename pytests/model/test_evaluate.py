"""The evaluation protocol on the bundled sample: no leakage, full ranking, gate, report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from btrnn.evaluate import EvaluationConfig, run_evaluation


@pytest.fixture(scope="module")
def evaluation(warehouse, tmp_path_factory):
    report = tmp_path_factory.mktemp("report") / "evaluation.html"
    patch = pytest.MonkeyPatch()
    for name, value in warehouse.env.items():
        patch.setenv(name, value)
    try:
        result = run_evaluation(EvaluationConfig(units=64, epochs=10, report=report))
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
    verdict = json.loads((warehouse.root / "release_gate.json").read_text())
    assert verdict["passed"] == result.gate.passed
    expected = "btrnn" if result.gate.passed else result.gate.best_baseline
    assert verdict["default_recommender"] == expected
    html = result.report.read_text()
    assert all(name in html for name in result.summaries)
    assert "<svg" in html and result.gate.message.split(":")[0] in html
    record = json.loads(result.report.with_suffix(".json").read_text())
    assert np.isclose(
        record["summaries"]["btrnn"]["ndcg_at_100"], result.summaries["btrnn"].ndcg_at_100
    )
