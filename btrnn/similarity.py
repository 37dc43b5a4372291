"""The Word2Vec similarity baseline (SPEC "Baselines"): the items nearest a seed by cosine.

The numpy functions are pure, so the evaluation can rank with them too. On Spark, the candidate
matrix (items of I' with a vector: small) is collected and normalised once on the driver and
travels in the task closure; the seeds stay distributed and each Arrow batch is one matmul and
a partial sort, so only K (item, cosine) pairs per seed leave the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

RECOMMENDER = "word2vec"
MODEL_VERSION = "baseline"
PAD_ID = 0  # slot without a candidate (fewer than k left after exclusion), as in btrnn.scoring
# Seed x candidate similarities held at once (64 MiB of float32): at 400,000 candidates, 40 seeds
# per matmul (at 10 seeds a matmul reads the whole candidate matrix for little work).
_MAX_SCORES = 1 << 24
# Columns per chunk when a wide row's top k is taken from its chunk maxima (_chunks_holding_top).
_CHUNK = 128


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length; all-zero rows stay zero (cosine 0 with anything, no NaN)."""
    vectors = np.asarray(vectors)
    vectors = vectors.astype(np.result_type(vectors.dtype, np.float32), copy=False)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def cosine_similarities(
    seed_vectors: np.ndarray, candidate_vectors: np.ndarray, *, candidates_normalised: bool = False
) -> np.ndarray:
    """(seeds, candidates) cosine similarities; zero vectors are similar to nothing (0)."""
    candidates = candidate_vectors if candidates_normalised else normalise(candidate_vectors)
    return normalise(seed_vectors) @ np.asarray(candidates).T


def cosine_top_k(
    seed_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    candidate_ids: np.ndarray,
    k: int,
    exclude_ids: np.ndarray | None = None,
    *,
    candidates_normalised: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, cosines), each (seeds, min(k, candidates)): the nearest candidates, best first.

    Ties go to the smaller candidate id, so results repeat exactly. `exclude_ids` (one id per
    seed, or a (seeds, m) array) are never returned; slots left without a candidate hold id 0
    and score -inf. Candidate ids must be unique.
    """
    seeds = np.asarray(seed_vectors)
    ids = np.asarray(candidate_ids, dtype=np.int64)
    if seeds.ndim != 2 or np.ndim(candidate_vectors) != 2:
        raise ValueError("seed_vectors and candidate_vectors must be 2-d (rows, dimensions).")
    if len(ids) != len(candidate_vectors):
        raise ValueError("candidate_ids needs one id per candidate vector.")
    width = max(0, min(int(k), len(ids)))
    if width == 0 or len(seeds) == 0:
        return np.zeros((len(seeds), width), np.int64), np.zeros((len(seeds), width))

    order = np.argsort(ids, kind="stable")  # column order = id order: ties go to smaller ids
    ids = ids[order]
    candidates = np.asarray(candidate_vectors)[order]
    if not candidates_normalised:
        candidates = normalise(candidates)
    excluded = None if exclude_ids is None else np.asarray(exclude_ids, np.int64)
    if excluded is not None and excluded.ndim == 1:
        excluded = excluded[:, None]

    out_ids = np.empty((len(seeds), width), np.int64)
    out_scores = np.empty((len(seeds), width), np.float64)
    step = max(1, _MAX_SCORES // len(ids))
    for start in range(0, len(seeds), step):
        rows = slice(start, start + step)
        scores = normalise(seeds[rows]) @ candidates.T
        if excluded is not None:
            _mask(scores, ids, excluded[rows])
        out_ids[rows], out_scores[rows] = _top_columns(scores, ids, width)
    return out_ids, out_scores


def cosine_target_ranks(
    seed_vectors: np.ndarray,
    candidates: np.ndarray,
    candidate_ids: np.ndarray,
    target_ids: np.ndarray,
    exclude_ids: np.ndarray,
    unreachable: int,
) -> np.ndarray:
    """Each seed's rank of its target among the candidates: 1 + candidates with a strictly
    higher cosine, the seed's `exclude_ids` entry not counted (SPEC's rank, over the scores
    `cosine_top_k` orders). A target that is not a candidate, or is excluded, ranks `unreachable`.

    `candidates` must be normalised (`normalise`); ids unique, in any order.
    """
    targets = np.asarray(target_ids, np.int64)
    ranks = np.full(len(targets), unreachable, np.int64)
    if len(candidate_ids) == 0 or len(targets) == 0:
        return ranks
    order = np.argsort(np.asarray(candidate_ids, np.int64), kind="stable")  # as cosine_top_k
    ids = np.asarray(candidate_ids, np.int64)[order]
    candidates = np.asarray(candidates)[order]
    excluded = np.asarray(exclude_ids, np.int64)[:, None]
    at = np.minimum(np.searchsorted(ids, targets), len(ids) - 1)
    column = np.where(ids[at] == targets, at, -1)
    reachable = (column >= 0) & (targets != excluded[:, 0])
    step = max(1, _MAX_SCORES // len(ids))
    for start in range(0, len(targets), step):
        rows = slice(start, start + step)
        scores = normalise(np.asarray(seed_vectors)[rows]) @ candidates.T
        _mask(scores, ids, excluded[rows])
        target = scores[np.arange(len(scores)), np.maximum(column[rows], 0)]
        above = np.count_nonzero(scores > target[:, None], axis=1)
        ranks[rows] = np.where(reachable[rows], 1 + above, unreachable)
    return ranks


def _mask(scores: np.ndarray, sorted_ids: np.ndarray, excluded: np.ndarray) -> None:
    """Sets the score of every excluded (row, candidate) to -inf, in place."""
    positions = np.minimum(np.searchsorted(sorted_ids, excluded), len(sorted_ids) - 1)
    rows, slots = np.nonzero(sorted_ids[positions] == excluded)
    scores[rows, positions[rows, slots]] = -np.inf


def _top_columns(
    scores: np.ndarray, sorted_ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top k per row by (score desc, id asc). Wide rows (at 400,000 candidates a partial sort
    costs 10 ms a seed) first narrow to the chunks that can hold their top k."""
    if scores.shape[1] < 16 * _CHUNK * k:
        return _exact_top_columns(scores, sorted_ids, k)
    narrow, columns, kept = _chunks_holding_top(scores, k)
    top_ids = np.empty((len(scores), k), np.int64)
    top = np.empty((len(scores), k), np.float64)
    top_ids[narrow], top[narrow] = _exact_top_columns(kept, sorted_ids[columns], k)
    top_ids[~narrow], top[~narrow] = _exact_top_columns(scores[~narrow], sorted_ids, k)
    return top_ids, top


def _chunks_holding_top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows narrowed, their columns, those columns' scores): for each row, every chunk of _CHUNK
    columns whose maximum is at least the row's k-th largest chunk maximum, in column order (so
    in id order); slots past a row's chunks score -inf. The row's k best scores lie there: k
    chunk maxima are >= that value, so the k-th best score is too, and any score as high sits
    in such a chunk. Rows with more than 4k such chunks (equal maxima, e.g. a zero vector's
    cosines, all 0) are not narrowed.
    """
    n = scores.shape[1]
    maxima = np.maximum.reduceat(scores, np.arange(0, n, _CHUNK), axis=1)
    kth = np.partition(maxima, maxima.shape[1] - k, axis=1)[:, -k, None]
    holds = maxima >= kth
    counts = holds.sum(axis=1)
    narrow = counts <= 4 * k
    holds = holds[narrow]
    width = int(counts[narrow].max(initial=0))
    chunks = np.argsort(~holds, axis=1, kind="stable")[:, :width]  # held chunks first, ascending
    held = np.take_along_axis(holds, chunks, axis=1)
    columns = chunks[:, :, None] * _CHUNK + np.arange(_CHUNK)
    inside = (held[:, :, None] & (columns < n)).reshape(len(holds), -1)
    columns = np.minimum(columns, n - 1).reshape(len(holds), -1)
    kept = np.take_along_axis(scores[narrow], columns, axis=1)
    return narrow, columns, np.where(inside, kept, -np.inf)


def _exact_top_columns(
    scores: np.ndarray, ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top k per row by (score desc, id asc): a partial sort, then an exact sort of k per row.
    `ids`: ascending per row, one per column (candidates) or per row and column (rows, n)."""
    n = scores.shape[1]
    kth = np.partition(scores, n - k, axis=1)[:, n - k, None]  # the k-th largest score
    above = scores > kth
    tied = scores == kth
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= room))  # exactly k per row
    columns = np.nonzero(chosen)[1].reshape(len(scores), k)  # ascending column = ascending id
    top = np.take_along_axis(scores, columns, axis=1)
    best_first = np.argsort(-top, axis=1, kind="stable")  # stable: equal scores keep id order
    columns = np.take_along_axis(columns, best_first, axis=1)
    top = np.take_along_axis(top, best_first, axis=1).astype(np.float64)
    chosen_ids = ids[columns] if ids.ndim == 1 else np.take_along_axis(ids, columns, axis=1)
    top_ids = np.where(np.isneginf(top), PAD_ID, chosen_ids)
    return top_ids, top


def _neighbour_batches(
    candidate_ids: np.ndarray, candidates: np.ndarray, k: int
) -> Callable[[Iterable[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The executor side: candidates arrive normalised, in the closure; seeds in Arrow batches."""

    def neighbours(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            if batch.empty or len(candidate_ids) == 0:
                continue
            seeds = batch.seed_product_id.to_numpy().astype(np.int64)
            vectors = np.stack(batch.vector.tolist()).astype(np.float32)
            ids, scores = cosine_top_k(
                vectors, candidates, candidate_ids, k, seeds, candidates_normalised=True
            )
            width = ids.shape[1]
            frame = pd.DataFrame(
                {
                    "seed_product_id": np.repeat(seeds, width),
                    "rank": np.tile(np.arange(1, width + 1, dtype=np.int32), len(seeds)),
                    "product_id": ids.reshape(-1),
                    "score": scores.reshape(-1),
                }
            )
            yield frame[frame.product_id != PAD_ID]

    return neighbours


def _candidates(embeddings: DataFrame, vocabulary: DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(ids, normalised vectors) of the items the baseline recommends: I' with a vector."""
    rows = (
        embeddings.join(vocabulary.select("product_id"), "product_id", "left_semi")
        .select("product_id", "vector")
        .collect()
    )
    candidate_ids = np.array([row.product_id for row in rows], np.int64)
    vectors = [row.vector for row in rows]
    candidates = normalise(np.array(vectors, np.float32) if rows else np.zeros((0, 0), np.float32))
    return candidate_ids, candidates


def word2vec_neighbours(embeddings: DataFrame, vocabulary: DataFrame, k: int) -> DataFrame:
    """Every item with a Word2Vec vector -> its k nearest items of I' (with a vector) by cosine.

    Columns as BTRNN's seed table: seed_product_id, rank, product_id, score (the cosine),
    recommender ('word2vec'), model_version ('baseline'), scored_at.
    """
    candidate_ids, candidates = _candidates(embeddings, vocabulary)
    seeds = embeddings.select(F.col("product_id").alias("seed_product_id"), "vector")
    scored = seeds.mapInPandas(
        _neighbour_batches(candidate_ids, candidates, k),
        "seed_product_id bigint, rank int, product_id bigint, score double",
    )
    return scored.withColumns(
        {
            "recommender": F.lit(RECOMMENDER),
            "model_version": F.lit(MODEL_VERSION),
            "scored_at": F.current_timestamp(),
        }
    )


def word2vec_target_ranks(
    embeddings: DataFrame, vocabulary: DataFrame, tests: DataFrame, candidates: int
) -> DataFrame:
    """The evaluation's Word2Vec ranks, on the executors: for each tested user whose seed (last
    item before the target) has a vector, the target's rank under `word2vec_neighbours`' cosine
    with an unlimited k. Columns: user_id, recommender ('word2vec'), rank.
    """
    candidate_ids, vectors = _candidates(embeddings, vocabulary)
    seeded = tests.join(
        embeddings.select(F.col("product_id").alias("seed_product_id"), "vector"),
        "seed_product_id",
    ).select("user_id", "seed_product_id", "target_product_id", "vector")

    def rank(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            if batch.empty:
                continue
            ranks = cosine_target_ranks(
                np.stack(batch.vector.tolist()).astype(np.float32),
                vectors,
                candidate_ids,
                batch.target_product_id.to_numpy(),
                batch.seed_product_id.to_numpy(),
                candidates,
            )
            yield pd.DataFrame({"user_id": batch.user_id, "rank": ranks.astype(np.int32)})

    ranked = seeded.mapInPandas(rank, "user_id bigint, rank int")
    return ranked.withColumn("recommender", F.lit(RECOMMENDER)).select(
        "user_id", "recommender", "rank"
    )
