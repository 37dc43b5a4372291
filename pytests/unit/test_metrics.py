"""btrnn.evaluation.metrics: ranks, hand-computed summaries, the Wilcoxon test, the gate."""

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from btrnn.evaluation.metrics import (
    RankSummary,
    hit_rate_curve,
    log_ks,
    release_gate,
    summarize,
    target_ranks,
)


def test_target_ranks_counts_strictly_higher_scores_and_ties_favour_the_target():
    scores = np.array(
        [
            [0.1, 0.9, 0.5, 0.3],  # target 1 is the max -> rank 1
            [0.5, 0.5, 0.5, 0.2],  # three-way tie at the top -> rank 1
            [0.7, 0.2, 0.9, 0.2],  # target 3 ties 1, below 0 and 2 -> rank 3
            [0.1, 0.2, 0.3, 0.4],  # target 0 is the min -> rank 4
            [0.1, 0.2, 0.3, 0.4],  # target not among candidates -> rank n_candidates
        ]
    )
    ranks = target_ranks(scores, np.array([1, 2, 3, 0, -1]))
    assert ranks.tolist() == [1, 1, 3, 4, 4]
    assert np.issubdtype(ranks.dtype, np.integer)


def test_target_ranks_nan_target_ranks_last_and_nan_candidates_never_beat():
    scores = np.array([[np.nan, 0.2, 0.3], [0.1, np.nan, 0.3]])
    assert target_ranks(scores, np.array([0, 0])).tolist() == [3, 2]


def test_target_ranks_matches_a_sort_based_reference_across_internal_chunks(monkeypatch):
    import btrnn.evaluation.metrics as metrics

    monkeypatch.setattr(metrics, "_MAX_COMPARISONS", 70)  # forces several row blocks
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, size=(37, 11)).astype(float)  # many ties
    targets = rng.integers(-1, 11, size=37)
    expected = [
        11 if t < 0 else 1 + int(np.sum(row > row[t]))
        for row, t in zip(scores, targets, strict=True)
    ]
    assert target_ranks(scores, targets).tolist() == expected


def test_target_ranks_rejects_bad_indices():
    with pytest.raises(ValueError):
        target_ranks(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError):
        target_ranks(np.zeros((2, 3)), np.array([0]))


def test_summarize_on_hand_computed_ranks():
    ranks = np.array([1, 2, 10, 100])
    s = summarize(ranks, 1000)
    assert (s.users, s.candidates) == (4, 1000)
    assert s.hr_at_10 == pytest.approx(0.75)
    assert s.hr_at_100 == pytest.approx(1.0)
    assert s.ndcg_at_10 == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(11) + 0) / 4)
    assert s.ndcg_at_100 == pytest.approx(
        (1 + 1 / math.log2(3) + 1 / math.log2(11) + 1 / math.log2(101)) / 4
    )
    assert s.mrr == pytest.approx((1 + 1 / 2 + 1 / 10 + 1 / 100) / 4)
    assert s.mean_rank == pytest.approx(28.25)
    assert s.median_rank == pytest.approx(6.0)
    assert s.mean_rank_percentile == pytest.approx(113 / 4 / 1000)
    assert set(s.as_dict()) == {
        "users", "candidates", "hr_at_10", "hr_at_100", "ndcg_at_10", "ndcg_at_100", "mrr",
        "mean_rank", "median_rank", "mean_rank_percentile", "wilcoxon_statistic",
        "wilcoxon_p_value",
    }  # fmt: skip


def test_wilcoxon_separates_random_from_perfect_ranks():
    rng = np.random.default_rng(42)
    random_ranks = rng.integers(1, 1001, size=500)
    random_summary = summarize(random_ranks, 1000, seed=7)
    assert random_summary.wilcoxon_p_value > 0.01
    assert random_summary.mean_rank_percentile == pytest.approx(0.5, abs=0.05)
    perfect = summarize(np.ones(500, dtype=int), 1000, seed=7)
    assert perfect.wilcoxon_p_value < 1e-50


def test_wilcoxon_is_one_sided_worse_than_random_is_not_significant():
    worst = summarize(np.full(200, 1000), 1000)
    assert worst.wilcoxon_p_value > 0.99


def test_wilcoxon_is_reproducible_by_seed():
    ranks = np.random.default_rng(0).integers(1, 50, size=100)
    assert summarize(ranks, 100, seed=1) == summarize(ranks, 100, seed=1)


def test_summarize_edge_cases():
    with pytest.raises(ValueError, match="empty"):
        summarize(np.array([], dtype=int), 10)
    with pytest.raises(ValueError):
        summarize(np.array([0, 1]), 10)
    with pytest.raises(ValueError):
        summarize(np.array([11]), 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy warns (division by zero) on all-zero differences
        single = summarize(np.array([1, 1, 1]), 1)  # every difference to random is zero
    assert (single.wilcoxon_statistic, single.wilcoxon_p_value) == (0.0, 1.0)
    assert single.hr_at_10 == 1.0


def test_hit_rate_curve():
    ranks = np.array([1, 2, 10, 100])
    assert hit_rate_curve(ranks, 1000, [1, 2, 9, 10, 99, 1000]).tolist() == [
        0.25, 0.5, 0.5, 0.75, 0.75, 1.0,
    ]  # fmt: skip
    ks = log_ks(1000)
    assert ks[0] == 1 and ks[-1] == 1000 and np.all(np.diff(ks) > 0)
    curve = hit_rate_curve(ranks, 1000)
    assert curve.shape == ks.shape and curve[-1] == 1.0


def _summary(value: float, users: int = 100) -> RankSummary:
    base = summarize(np.arange(1, users + 1), 1000)
    return replace(base, ndcg_at_100=value)


def test_release_gate_passes_only_when_strictly_better_than_the_best_baseline():
    summaries = {
        "popularity": _summary(0.05),
        "cooccurrence": _summary(0.09),
        "word2vec": _summary(0.06),
    }
    better = release_gate({**summaries, "btrnn": _summary(0.10)})
    assert better.passed and better.best_baseline == "cooccurrence"
    assert better.candidate_value == 0.10 and better.baseline_value == 0.09
    assert "cooccurrence" in better.message and better.message.startswith("PASS")

    tied = release_gate({**summaries, "btrnn": _summary(0.09)})
    assert not tied.passed and tied.best_baseline == "cooccurrence"

    worse = release_gate({**summaries, "btrnn": _summary(0.07)})
    assert not worse.passed and worse.message.startswith("FAIL")


def test_release_gate_lower_is_better_metric_and_errors():
    a = replace(_summary(0.1), mean_rank=50.0)
    b = replace(_summary(0.1), mean_rank=40.0)
    verdict = release_gate({"btrnn": a, "pop": b}, metric="mean_rank")
    assert not verdict.passed and verdict.best_baseline == "pop"
    assert release_gate({"btrnn": b, "pop": a}, metric="mean_rank").passed
    with pytest.raises(ValueError, match="candidate"):
        release_gate({"pop": a})
    with pytest.raises(ValueError, match="baseline"):
        release_gate({"btrnn": a})
    with pytest.raises(ValueError, match="different"):
        release_gate({"btrnn": _summary(0.2, users=50), "pop": a})
    with pytest.raises(ValueError, match="metric"):
        release_gate({"btrnn": a, "pop": b}, metric="users")
