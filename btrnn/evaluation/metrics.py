"""Full-ranking evaluation maths: target ranks, HR/NDCG/MRR, the Wilcoxon test, the release gate.

One relevant item per user (leave-last-out, SPEC "Evaluation protocol"); inputs are numpy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

# Bounds the boolean temporary of `target_ranks` (elements), so a big chunk never doubles memory.
_MAX_COMPARISONS = 1 << 25

# Metrics the release gate may judge on, and whether a higher value is better.
HIGHER_IS_BETTER: dict[str, bool] = {
    "hr_at_10": True,
    "hr_at_100": True,
    "ndcg_at_10": True,
    "ndcg_at_100": True,
    "mrr": True,
    "mean_rank": False,
    "median_rank": False,
    "mean_rank_percentile": False,
}


def target_ranks(scores: np.ndarray, target_index: np.ndarray) -> np.ndarray:
    """Rank of each user's target: 1 + candidates scored strictly higher (ties favour the target).

    A target outside the candidates (index -1) or with a NaN score gets rank = n_candidates.
    """
    scores = np.asarray(scores)
    target_index = np.asarray(target_index)
    if scores.ndim != 2:
        raise ValueError(f"scores must be 2-d (users, candidates), got shape {scores.shape}")
    n_users, n_candidates = scores.shape
    if target_index.shape != (n_users,):
        raise ValueError(f"target_index must have shape ({n_users},), got {target_index.shape}")
    if not np.issubdtype(target_index.dtype, np.integer):
        raise ValueError(f"target_index must be integers, got {target_index.dtype}")
    if n_users and (target_index.min() < -1 or target_index.max() >= n_candidates):
        raise ValueError(f"target_index must lie in [-1, {n_candidates - 1}]")
    ranks = np.full(n_users, n_candidates, dtype=np.int64)
    if n_candidates == 0:
        return ranks
    step = max(1, _MAX_COMPARISONS // n_candidates)
    for start in range(0, n_users, step):
        block = scores[start : start + step]
        index = target_index[start : start + step]
        known = index >= 0
        target = block[np.arange(len(block)), np.where(known, index, 0)]
        higher = np.count_nonzero(block > target[:, None], axis=1)
        ranked = known & ~np.isnan(target)
        ranks[start : start + step] = np.where(ranked, 1 + higher, n_candidates)
    return ranks


@dataclass(frozen=True)
class RankSummary:
    """The SPEC's report row for one model: hit rates, NDCG, MRR, rank statistics, Wilcoxon."""

    users: int
    candidates: int
    hr_at_10: float
    hr_at_100: float
    ndcg_at_10: float
    ndcg_at_100: float
    mrr: float
    mean_rank: float
    median_rank: float
    mean_rank_percentile: float
    wilcoxon_statistic: float
    wilcoxon_p_value: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain field -> value mapping (for tables, JSON, DataFrames)."""
        return asdict(self)


def _checked_ranks(ranks: np.ndarray, n_candidates: int) -> np.ndarray:
    """Ranks as a 1-d int64 array, rejecting anything outside 1..n_candidates."""
    ranks = np.asarray(ranks)
    if ranks.ndim != 1:
        raise ValueError(f"ranks must be 1-d, got shape {ranks.shape}")
    if n_candidates < 1:
        raise ValueError(f"n_candidates must be >= 1, got {n_candidates}")
    if ranks.size == 0:
        raise ValueError("no users to evaluate: ranks is empty")
    whole = np.issubdtype(ranks.dtype, np.integer) or (
        np.all(np.isfinite(ranks)) and np.all(ranks == np.round(ranks))
    )
    if not whole:
        raise ValueError("ranks must be whole numbers")
    if ranks.min() < 1 or ranks.max() > n_candidates:
        raise ValueError(f"ranks must lie in [1, {n_candidates}]")
    return ranks.astype(np.int64)


def _ndcg_at(ranks: np.ndarray, k: int) -> float:
    """Mean NDCG@k for one relevant item per user (the ideal DCG is 1)."""
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
    return float(gains.mean())


def wilcoxon_vs_random(ranks: np.ndarray, n_candidates: int, seed: int = 0) -> tuple[float, float]:
    """One-sided Wilcoxon signed-rank test that the ranks are lower than uniform random ranks.

    alternative="less": small p means the model ranks targets better than chance. All-zero
    differences (e.g. one candidate) carry no evidence: statistic 0, p-value 1.
    """
    ranks = _checked_ranks(ranks, n_candidates)
    random_ranks = np.random.default_rng(seed).integers(1, n_candidates + 1, size=ranks.size)
    if np.all(ranks == random_ranks):
        return 0.0, 1.0
    result = stats.wilcoxon(ranks, random_ranks, alternative="less")
    return float(result.statistic), float(result.pvalue)


def summarize(ranks: np.ndarray, n_candidates: int, seed: int = 0) -> RankSummary:
    """Every SPEC metric for one model's ranks; the Wilcoxon test is `wilcoxon_vs_random`.

    The test is one-sided (alternative="less": the model's ranks are lower, i.e. better, than
    random ranks drawn uniformly from 1..n_candidates with np.random.default_rng(seed)).
    """
    ranks = _checked_ranks(ranks, n_candidates)
    statistic, p_value = wilcoxon_vs_random(ranks, n_candidates, seed)
    return RankSummary(
        users=int(ranks.size),
        candidates=int(n_candidates),
        hr_at_10=float(np.mean(ranks <= 10)),
        hr_at_100=float(np.mean(ranks <= 100)),
        ndcg_at_10=_ndcg_at(ranks, 10),
        ndcg_at_100=_ndcg_at(ranks, 100),
        mrr=float(np.mean(1.0 / ranks)),
        mean_rank=float(ranks.mean()),
        median_rank=float(np.median(ranks)),
        mean_rank_percentile=float(np.mean(ranks / n_candidates)),
        wilcoxon_statistic=statistic,
        wilcoxon_p_value=p_value,
    )


def log_ks(n_candidates: int, points: int = 60) -> np.ndarray:
    """Distinct integer cut-offs K from 1 to n_candidates, evenly spaced on a log scale."""
    if n_candidates < 1:
        raise ValueError(f"n_candidates must be >= 1, got {n_candidates}")
    grid = np.geomspace(1, n_candidates, num=max(points, 2))
    return np.unique(np.concatenate([np.round(grid).astype(np.int64), [1, n_candidates]]))


def hit_rate_curve(
    ranks: np.ndarray, n_candidates: int, ks: Sequence[int] | np.ndarray | None = None
) -> np.ndarray:
    """HR@K for every K in ks (default `log_ks(n_candidates)`): share of users with rank <= K."""
    ranks = _checked_ranks(ranks, n_candidates)
    ks = log_ks(n_candidates) if ks is None else np.asarray(ks)
    hits = np.searchsorted(np.sort(ranks), ks, side="right")
    return hits / ranks.size


@dataclass(frozen=True)
class GateVerdict:
    """Whether the candidate model beats the best baseline on the gate metric, and by how much."""

    passed: bool
    candidate: str
    best_baseline: str
    candidate_value: float
    baseline_value: float
    metric: str
    message: str


def release_gate(
    summaries: Mapping[str, RankSummary],
    candidate: str = "btrnn",
    metric: str = "ndcg_at_100",
) -> GateVerdict:
    """SPEC's release gate: the candidate is the default only if it strictly beats every baseline.

    All summaries must share users and candidates, otherwise the comparison is meaningless.
    """
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(f"metric must be one of {sorted(HIGHER_IS_BETTER)}, got {metric!r}")
    if candidate not in summaries:
        raise ValueError(f"candidate {candidate!r} is not among the models {sorted(summaries)}")
    baselines = {name: s for name, s in summaries.items() if name != candidate}
    if not baselines:
        raise ValueError("the release gate needs at least one baseline besides the candidate")
    grids = {(s.users, s.candidates) for s in summaries.values()}
    if len(grids) > 1:
        raise ValueError(f"models were evaluated on different (users, candidates): {grids}")
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    best = max(baselines, key=lambda name: sign * getattr(baselines[name], metric))
    candidate_value = float(getattr(summaries[candidate], metric))
    baseline_value = float(getattr(baselines[best], metric))
    passed = bool(sign * candidate_value > sign * baseline_value)
    relation = ("beats" if passed else "does not beat") + " best baseline"
    message = (
        f"{'PASS' if passed else 'FAIL'}: {candidate} {metric} {candidate_value:.4f} {relation} "
        f"{best} ({baseline_value:.4f})"
    )
    return GateVerdict(
        passed=passed,
        candidate=candidate,
        best_baseline=best,
        candidate_value=candidate_value,
        baseline_value=baseline_value,
        metric=metric,
        message=message,
    )
