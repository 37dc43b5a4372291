"""Every recommender's score of every candidate, and each user's rank of the test target.

BTRNN through its scorer (all logits of I'), the seed-only view of it, and the paper's
baselines: popularity, co-occurrence ("bought right after"), Word2Vec cosine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from btrnn.evaluation.metrics import target_ranks
from btrnn.scoring import Scorer
from btrnn.similarity import normalise

BASELINES = ("popularity", "cooccurrence", "word2vec")
BTRNN_MODELS = ("btrnn", "btrnn_seed")
CHUNK = 512


@dataclass(frozen=True)
class EvaluationData:
    """Everything the rankers need, read from the evaluation schema's tables."""

    candidates: np.ndarray  # sorted product ids of the training portion
    users: np.ndarray
    inputs: np.ndarray  # (users, 11) the purchases before the test target, left-padded
    targets: np.ndarray  # (users,) the test target's product id
    popularity: np.ndarray  # (candidates,) training purchases of each candidate
    pairs: pd.DataFrame  # seed_product_id, next_product_id, pair_count
    vectors: dict[int, np.ndarray]  # Word2Vec vector of each item that has one


class Rankers:
    """Scores of every candidate for a chunk of users, one method per recommender.

    Every baseline breaks ties by popularity (a tiny additive term), as the benchmark's peers do;
    without it a recommender with no opinion would give every target rank 1.
    """

    def __init__(self, data: EvaluationData, scorer: Scorer) -> None:
        self.scorer = scorer
        self.share = data.popularity / data.popularity.sum()
        self.tie_break = 1e-9 * self.share
        self.position = {int(p): i for i, p in enumerate(data.candidates.tolist())}
        self.followers = {
            int(cast(int, seed)): (  # pandas types group keys as any scalar
                np.array([self.position[int(p)] for p in group.next_product_id]),
                group.pair_count.to_numpy(dtype=np.float64),
            )
            for seed, group in data.pairs.groupby("seed_product_id")
        }
        size = len(next(iter(data.vectors.values()))) if data.vectors else 1
        vectors = np.zeros((len(data.candidates), size))
        for product, vector in data.vectors.items():
            if product in self.position:
                vectors[self.position[product]] = vector
        self.has_vector = np.abs(vectors).sum(axis=1) > 0
        self.unit_vectors = normalise(vectors)
        self.label_columns = np.array([self.position.get(int(p), -1) for p in scorer.labels])

    def popularity(self, inputs: np.ndarray) -> np.ndarray:
        return np.tile(self.share, (len(inputs), 1))

    def cooccurrence(self, inputs: np.ndarray) -> np.ndarray:
        """(count(last -> j) + share(j)) / (count(last -> any) + 1): the SQL recommender's score."""
        empty = (np.zeros(0, np.int64), np.zeros(0))
        scores = np.empty((len(inputs), len(self.share)))
        for row, last in enumerate(inputs[:, -1]):
            positions, counts = self.followers.get(int(last), empty)
            total = counts.sum() + 1.0
            scores[row] = self.share / total
            scores[row, positions] += counts / total
        return scores

    def word2vec(self, inputs: np.ndarray) -> np.ndarray:
        """Cosine to the last purchased item, or to the mean of the inputs' vectors without one."""
        scores = np.full((len(inputs), len(self.share)), -1.0)
        for row, items in enumerate(inputs):
            known = [self.position[int(p)] for p in items if int(p) in self.position]
            with_vector = [i for i in known if self.has_vector[i]]
            if not with_vector:
                continue  # no opinion: popularity orders the candidates
            last = known[-1]
            query = (
                self.unit_vectors[last]
                if self.has_vector[last]
                else (self.unit_vectors[with_vector].mean(axis=0))
            )
            scores[row] = np.where(self.has_vector, self.unit_vectors @ query, -1.0)
        return scores + self.tie_break

    def btrnn_seed(self, inputs: np.ndarray) -> np.ndarray:
        """BTRNN given only the last item (10 pads + the item): the seed-item use case."""
        seeds = np.zeros_like(inputs)
        seeds[:, -1] = inputs[:, -1]
        return self.btrnn(seeds)

    def btrnn(self, inputs: np.ndarray) -> np.ndarray:
        """BTRNN's logits over I'; candidates outside I' cannot be predicted (-inf)."""
        logits = self.scorer.logits(inputs)
        scores = np.full((len(inputs), len(self.share)), -np.inf)
        mapped = self.label_columns >= 0
        scores[:, self.label_columns[mapped]] = logits[:, mapped]
        return scores


def rank_targets(
    data: EvaluationData, rankers: Rankers, models: Sequence[str] = (*BTRNN_MODELS, *BASELINES)
) -> dict[str, np.ndarray]:
    """Each model's rank of each user's test target among all candidates."""
    target_index = np.array([rankers.position.get(int(t), -1) for t in data.targets])
    methods: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        name: getattr(rankers, name) for name in models
    }
    ranks = {name: np.empty(len(data.users), np.int64) for name in methods}
    for start in range(0, len(data.users), CHUNK):
        chunk = slice(start, start + CHUNK)
        for name, method in methods.items():
            ranks[name][chunk] = target_ranks(method(data.inputs[chunk]), target_index[chunk])
    return ranks
