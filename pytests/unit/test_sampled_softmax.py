"""Sampled softmax: the full softmax as its limit, the log-Q correction, the sampler's q."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from btrnn.sampled_softmax import LabelSampler, sampled_softmax_loss


def _logits(rows: int, labels: int) -> np.ndarray:
    return np.random.default_rng(0).normal(scale=3.0, size=(rows, labels)).astype(np.float32)


def _loss(logits: np.ndarray, labels: np.ndarray, candidates: np.ndarray, log_q: np.ndarray):
    """The loss on candidate columns of full logits; log_q: per label of I'."""
    true = logits[np.arange(len(labels)), labels]
    return sampled_softmax_loss(
        tf.constant(true),
        tf.constant(logits[:, candidates]),
        tf.constant(labels),
        tf.constant(candidates),
        tf.constant(log_q[labels]),
        tf.constant(log_q[candidates]),
    ).numpy()


def test_every_label_sampled_without_correction_is_the_full_softmax():
    logits = _logits(5, 7)
    labels = np.array([0, 3, 6, 6, 2], np.int32)
    every = np.arange(7, dtype=np.int32)
    full = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits).numpy()
    got = _loss(logits, labels, every, np.zeros(7, np.float32))
    np.testing.assert_allclose(got, full, rtol=1e-5)


def test_a_uniform_proposal_needs_no_correction():
    # log(negatives * q) is the same for every label: it shifts all logits alike and cancels.
    logits = _logits(4, 9)
    labels = np.array([1, 8, 4, 4], np.int32)
    candidates = np.array([2, 8, 5, 5, 0], np.int32)
    plain = _loss(logits, labels, candidates, np.zeros(9, np.float32))
    uniform = _loss(logits, labels, candidates, np.full(9, np.log(5 / 9), np.float32))
    np.testing.assert_allclose(uniform, plain, rtol=1e-5)


def test_log_q_is_subtracted_and_accidental_hits_are_removed():
    logits = np.array([[1.0, 2.0, 0.5, -1.0]], np.float32)
    log_q = np.log(np.array([0.1, 0.2, 0.3, 0.4], np.float32) * 3)
    label, candidates = np.array([1], np.int32), np.array([0, 1, 3], np.int32)
    true = 2.0 - log_q[1]
    kept = [1.0 - log_q[0], -1.0 - log_q[3]]  # candidate 1 is the row's label: removed
    expected = np.log(np.exp(true) + np.exp(kept).sum()) - true
    assert _loss(logits, label, candidates, log_q) == pytest.approx([expected], rel=1e-5)


def test_the_sampler_draws_in_proportion_to_counts_to_the_alpha():
    counts = np.array([0, 9, 99, 0])  # + 1: weights 1, 10, 100, 1 at alpha 1
    sampler = LabelSampler(counts, alpha=1.0, negatives=4000, seed=0)
    drawn = np.concatenate([sampler.sample()[0].numpy() for _ in range(10)])
    q = np.array([1, 10, 100, 1]) / 112
    assert drawn.min() >= 0 and drawn.max() <= 3
    np.testing.assert_allclose(np.bincount(drawn, minlength=4) / len(drawn), q, atol=0.01)
    candidates, log_q = sampler.sample()
    np.testing.assert_allclose(log_q.numpy(), np.log(4000 * q[candidates.numpy()]), rtol=1e-5)
    np.testing.assert_allclose(sampler.log_q(tf.constant([2])).numpy(), np.log(4000 * q[2:3]))


def test_alpha_zero_is_uniform():
    sampler = LabelSampler(np.array([0, 5, 500]), alpha=0.0, negatives=6, seed=1)
    np.testing.assert_allclose(sampler.log_expected_count.numpy(), np.log(2.0), rtol=1e-6)
