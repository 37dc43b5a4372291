"""Sampled softmax over I' with the log-Q correction, and the popularity-shaped label sampler.

Each batch shares `negatives` labels drawn with replacement from q (training label counts + 1,
raised to alpha). Every logit is corrected by subtracting log of its label's expected count in
the draw, log(negatives * q): the correction that makes the sampled loss's gradient an estimate
of the full softmax's (Bengio & Senecal 2008; TensorFlow's `sampled_softmax_loss` does the
same). Negatives that equal a row's true label (accidental hits) are removed from that row.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def sampled_softmax_loss(
    true_logits: tf.Tensor,
    sampled_logits: tf.Tensor,
    labels: tf.Tensor,
    candidates: tf.Tensor,
    true_log_q: tf.Tensor,
    sampled_log_q: tf.Tensor,
) -> tf.Tensor:
    """Per-example loss: softmax cross-entropy of the true label against the sampled negatives.

    true_logits (batch,), sampled_logits (batch, negatives): the model's logits of each row's
    label and of the shared candidates; *_log_q: log expected counts of those labels in the draw
    (zeros: no correction). With every label as a candidate and no correction this is the full
    softmax cross-entropy.
    """
    true = true_logits - true_log_q
    sampled = sampled_logits - sampled_log_q[tf.newaxis, :]
    hits = tf.equal(labels[:, tf.newaxis], candidates[tf.newaxis, :])
    sampled = tf.where(hits, tf.constant(-np.inf, sampled.dtype), sampled)
    every = tf.concat([true[:, tf.newaxis], sampled], axis=1)
    return tf.reduce_logsumexp(every, axis=1) - true


class LabelSampler:
    """Draws a batch's negatives from q(label) proportional to (count + 1) ** alpha.

    Drawing costs O(negatives x log |I'|) (a binary search in the cumulative distribution), never
    O(|I'|). The +1 keeps labels that no training window has (held-out targets) drawable.
    """

    def __init__(self, label_counts: np.ndarray, alpha: float, negatives: int, seed: int) -> None:
        weights = (np.asarray(label_counts, np.float64) + 1.0) ** alpha
        q = weights / weights.sum()
        self.negatives = negatives
        # float64: float32 cannot resolve a rare label's step of ~1e-8 near the top of the CDF.
        self._cdf = tf.constant(np.cumsum(q))
        self.log_expected_count = tf.constant(np.log(negatives * q), tf.float32)
        self._last = len(q) - 1
        self._generator = tf.random.Generator.from_seed(seed)

    def sample(self) -> tuple[tf.Tensor, tf.Tensor]:
        """(candidates int32 (negatives,), their log expected counts (negatives,))."""
        uniform = self._generator.uniform([self.negatives], dtype=tf.float64) * self._cdf[-1]
        candidates = tf.searchsorted(self._cdf, uniform, side="right", out_type=tf.int32)
        candidates = tf.minimum(candidates, self._last)  # u rounded up to the total
        return candidates, tf.gather(self.log_expected_count, candidates)

    def log_q(self, labels: tf.Tensor) -> tf.Tensor:
        return tf.gather(self.log_expected_count, labels)
