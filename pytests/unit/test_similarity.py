"""Unit tests for btrnn.similarity: normalising, cosine top-K, exclusion, zero vectors, ties."""

import numpy as np
import pytest

from btrnn.similarity import cosine_similarities, cosine_target_ranks, cosine_top_k, normalise

# Candidates 10..40: 10 and 20 point along x (20 twice as long), 30 along y, 40 diagonal.
CANDIDATE_IDS = np.array([10, 20, 30, 40])
CANDIDATES = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [1.0, 1.0]])


def test_normalise_gives_unit_rows_and_keeps_zero_rows_zero():
    vectors = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    unit = normalise(vectors)
    assert np.allclose(unit, [[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]])
    assert not np.isnan(unit).any()
    assert np.allclose(normalise(unit), unit)  # idempotent
    assert normalise(np.ones((2, 3), np.float32)).dtype == np.float32
    assert normalise(np.array([[1, 1]])).dtype == np.float64


def test_cosine_top_k_finds_the_known_nearest_neighbours_best_first():
    seeds = np.array([[0.1, 1.0], [1.0, 0.9]])  # nearly y; nearly diagonal
    ids, scores = cosine_top_k(seeds, CANDIDATES, CANDIDATE_IDS, k=2)
    assert ids.tolist() == [[30, 40], [40, 10]]
    assert scores[0, 0] == pytest.approx(1.0 / np.sqrt(1.01))
    assert scores[1, 0] == pytest.approx(1.9 / np.sqrt(2 * 1.81))
    assert (np.diff(scores, axis=1) <= 0).all()
    assert np.allclose(scores, cosine_similarities(seeds, CANDIDATES)[[[0], [1]], [[2, 3], [3, 0]]])


def test_cosine_top_k_excludes_the_seed_itself():
    seed_ids = np.array([30, 40])
    seeds = CANDIDATES[[2, 3]]
    ids, scores = cosine_top_k(seeds, CANDIDATES, CANDIDATE_IDS, k=2, exclude_ids=seed_ids)
    assert ids.tolist() == [[40, 10], [10, 20]]
    assert 30 not in ids[0] and 40 not in ids[1]
    # Several exclusions per seed, and ids that are not candidates are ignored.
    ids, _ = cosine_top_k(seeds, CANDIDATES, CANDIDATE_IDS, 2, np.array([[30, 40], [40, 99]]))
    assert ids.tolist() == [[10, 20], [10, 20]]


def test_cosine_top_k_pads_with_id_zero_when_exclusion_leaves_too_few():
    ids, scores = cosine_top_k(CANDIDATES[:1], CANDIDATES[:2], CANDIDATE_IDS[:2], 5, [10])
    assert ids.shape == (1, 2)  # never wider than the candidates
    assert ids.tolist() == [[20, 0]]
    assert scores[0, 0] == pytest.approx(1.0) and np.isneginf(scores[0, 1])


def test_zero_vectors_give_zero_scores_not_nan():
    candidates = np.vstack([CANDIDATES, np.zeros(2)])
    candidate_ids = np.append(CANDIDATE_IDS, 50)
    ids, scores = cosine_top_k(np.zeros((1, 2)), candidates, candidate_ids, k=5)
    assert not np.isnan(scores).any()
    assert scores.tolist() == [[0.0] * 5]
    assert ids.tolist() == [[10, 20, 30, 40, 50]]  # all tied: id order
    ids, scores = cosine_top_k(np.array([[-1.0, 0.0]]), candidates, candidate_ids, k=5)
    assert not np.isnan(scores).any()
    assert ids.tolist() == [[30, 50, 40, 10, 20]]  # the zero vector (cosine 0) ties 30


def test_ties_go_to_the_smaller_id_whatever_the_input_order():
    # 10 and 20 have the same direction: equal cosine with every seed.
    shuffled = np.array([3, 1, 0, 2])
    seeds = np.array([[1.0, 0.0], [1.0, 0.2]])
    for order in (np.arange(4), shuffled, shuffled[::-1]):
        ids, scores = cosine_top_k(seeds, CANDIDATES[order], CANDIDATE_IDS[order], k=1)
        assert ids.tolist() == [[10], [10]]
        ids, _ = cosine_top_k(seeds, CANDIDATES[order], CANDIDATE_IDS[order], k=3)
        assert ids.tolist() == [[10, 20, 40], [10, 20, 40]]


def test_cosine_top_k_matches_a_full_sort_across_internal_chunks(monkeypatch):
    import btrnn.similarity as similarity

    monkeypatch.setattr(similarity, "_MAX_SCORES", 50)  # forces several seed chunks
    rng = np.random.default_rng(7)
    # Candidates are scaled +-axis vectors or zero: each cosine is exactly one coordinate of the
    # unit seed (or 0), whichever matmul computes it, so the many ties are exact.
    axes = np.vstack([np.eye(3), -np.eye(3), np.zeros((1, 3))])
    candidates = axes[rng.integers(0, 7, size=40)] * rng.choice([1.0, 2.0, 4.0], size=(40, 1))
    candidate_ids = rng.permutation(np.arange(100, 140))
    seeds = rng.integers(-2, 3, size=(23, 3)).astype(float)
    exclude = rng.choice(candidate_ids, size=23)
    ids, scores = cosine_top_k(seeds, candidates, candidate_ids, 7, exclude)
    full = cosine_similarities(seeds, candidates)
    for row in range(len(seeds)):
        ranked = sorted(
            (-full[row, c], candidate_ids[c])
            for c in range(len(candidate_ids))
            if candidate_ids[c] != exclude[row]
        )[:7]
        assert ids[row].tolist() == [int(i) for _, i in ranked]
        assert np.allclose(scores[row], [-s for s, _ in ranked])


def test_wide_rows_narrowed_to_chunks_give_the_full_sorts_result(monkeypatch):
    import btrnn.similarity as similarity

    monkeypatch.setattr(similarity, "_CHUNK", 4)  # wide from 16 x 4 x k columns
    rng = np.random.default_rng(3)
    k, n = 5, 16 * 4 * 5 + 3  # the last chunk is short
    # Candidates drawn from 60 directions and a zero vector: exact ties, some equal chunk maxima.
    pool = np.vstack([rng.normal(size=(60, 3)), np.zeros((1, 3))])
    candidates = pool[rng.integers(0, 61, size=n)]
    candidates[-1] = [1.0, 1.0, 1.0]  # the one best candidate of seed [1, 1, 1]: the short chunk
    candidate_ids = rng.permutation(np.arange(1000, 1000 + n))
    seeds = np.vstack([rng.integers(-2, 3, size=(30, 3)), [[1, 1, 1], [0, 0, 0]]]).astype(float)
    exclude = rng.choice(candidate_ids[:-1], size=len(seeds))
    narrowing = similarity._chunks_holding_top
    narrowed_rows = []

    def counted(scores, k):
        found = narrowing(scores, k)
        narrowed_rows.append(int(found[0].sum()))
        return found

    monkeypatch.setattr(similarity, "_chunks_holding_top", counted)
    narrowed = cosine_top_k(seeds, candidates, candidate_ids, k, exclude)
    # Most rows were narrowed; the zero seed (every cosine 0) was not.
    assert len(seeds) // 2 < sum(narrowed_rows) < len(seeds)
    monkeypatch.setattr(similarity, "_CHUNK", 10**6)  # never wide: the full partial sort
    full = cosine_top_k(seeds, candidates, candidate_ids, k, exclude)
    np.testing.assert_array_equal(narrowed[0], full[0])
    np.testing.assert_array_equal(narrowed[1], full[1])
    assert narrowed[0][30, 0] == candidate_ids[-1]


def test_cosine_top_k_handles_empty_inputs_and_rejects_bad_shapes():
    ids, scores = cosine_top_k(np.zeros((3, 2)), np.zeros((0, 2)), np.array([], int), k=4)
    assert ids.shape == (3, 0) and scores.shape == (3, 0)
    ids, _ = cosine_top_k(np.zeros((0, 2)), CANDIDATES, CANDIDATE_IDS, k=4)
    assert ids.shape == (0, 4)
    with pytest.raises(ValueError):
        cosine_top_k(np.zeros(2), CANDIDATES, CANDIDATE_IDS, k=1)
    with pytest.raises(ValueError):
        cosine_top_k(np.zeros((1, 2)), CANDIDATES, CANDIDATE_IDS[:3], k=1)


def test_cosine_target_ranks_count_the_candidates_scored_strictly_higher():
    seeds = np.array([[0.1, 1.0], [1.0, 0.9], [1.0, 0.0]])
    unit = normalise(CANDIDATES)
    ranks = cosine_target_ranks(
        seeds, unit, CANDIDATE_IDS, np.array([30, 10, 20]), np.array([99, 99, 99]), 7
    )
    # Seed 1 ranks 30 first; seed 2: 40 above 10; seed 3: 10 and 20 tie at 1 (ties favour it).
    assert ranks.tolist() == [1, 2, 1]
    # Each rank agrees with the position cosine_top_k gives the target.
    ids, _ = cosine_top_k(seeds, unit, CANDIDATE_IDS, k=4, candidates_normalised=True)
    assert [list(row).index(t) + 1 for row, t in zip(ids, [30, 10], strict=False)] == [1, 2]


def test_cosine_target_ranks_skip_the_seed_and_rank_unreachable_targets_last():
    seeds = CANDIDATES[[3, 3, 3, 0]]  # the diagonal item 40 as seed, then item 10
    unit = normalise(CANDIDATES)
    targets = np.array([10, 40, 55, 30])
    ranks = cosine_target_ranks(seeds, unit, CANDIDATE_IDS, targets, np.array([40, 40, 40, 10]), 9)
    # 10 follows only the (excluded) seed itself; the seed and a non-candidate rank last; for
    # seed 10 (excluded), 20 is above 30 and 40 is above 30.
    assert ranks.tolist() == [1, 9, 9, 3]
    # Candidate order does not matter.
    order = np.array([2, 0, 3, 1])
    shuffled = cosine_target_ranks(
        seeds, unit[order], CANDIDATE_IDS[order], targets, np.array([40, 40, 40, 10]), 9
    )
    assert shuffled.tolist() == ranks.tolist()
    empty = cosine_target_ranks(seeds, unit[:0], CANDIDATE_IDS[:0], targets, targets, 9)
    assert empty.tolist() == [9, 9, 9, 9]
