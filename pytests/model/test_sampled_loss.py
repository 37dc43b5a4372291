"""Sampled-softmax training on the toy: it learns, and ships the same model scoring reads."""

from __future__ import annotations

import numpy as np
from toy_windows import SEQUENCE, toy_data

from btrnn.bundle import ModelBundle
from btrnn.scoring import Scorer
from btrnn.train import TrainConfig, fit


def test_sampled_training_learns_the_toy_and_scores_exactly(tmp_path):
    data = toy_data()
    config = TrainConfig(
        units=8, epochs=4, batch_size=32, learning_rate=0.05, loss="sampled", negatives=3
    )
    model, model_config, items, metrics = fit(data, config)
    assert metrics["training_loss"]["loss"] == "sampled"
    assert metrics["training_loss"]["negatives"] == 3
    assert metrics["best"]["ndcg_at_10"] > 0.5, "last item -> its own column, as the full loss"
    ModelBundle(model_config, data.labels, items, {"metrics": metrics}).write(tmp_path, model)
    scorer = Scorer(tmp_path)
    inputs = np.zeros((6, SEQUENCE), np.int64)
    inputs[:, -1] = data.items.item_ids
    ids, _ = scorer.top_k(inputs, k=3)
    full = scorer.logits(inputs)
    assert full.shape == (6, len(data.labels))
    assert np.array_equal(ids, data.labels[np.argsort(-full, axis=1, kind="stable")[:, :3]])
