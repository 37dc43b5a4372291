"""The scoring head: the output layer's logits, their top K and their softmax normaliser.

At |I'| = 400,000 the output layer's matmul is scoring's one large GEMM, yet what followed it
cost more (one core, 1,024 rows x 102 x 400,000: matmul 0.89 s, `tf.math.top_k` 1.47 s, bias add
0.25 s, logsumexp 0.56 s). Here the bias add is fused into the matmul and the normaliser into one
pass (XLA), and the top K is taken from chunk maxima (exact, ties as `tf.math.top_k`): 1.32 s in
all instead of 3.22 s (`make bench` measures the whole path).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

# Columns per chunk of the chunked top K: its first pass is a max over each chunk, its second a
# top K over k x CHUNK columns; 128 keeps both small at |I'| = 400,000 (3,125 chunks).
CHUNK = 128


def top_k(logits: tf.Tensor, k: tf.Tensor | int) -> tuple[tf.Tensor, tf.Tensor]:
    """`tf.math.top_k(logits, k)`: (values, column indices), best first; by chunk maxima where a
    row has many more than k chunks (there it takes a fraction of the time), else directly."""
    k = tf.convert_to_tensor(k, tf.int32)
    many_chunks = 16 * CHUNK * k <= tf.shape(logits)[1]
    return tf.cond(
        many_chunks,
        lambda: _top_k_by_chunks(logits, k),
        lambda: tuple(tf.math.top_k(logits, k)),
    )


def _top_k_by_chunks(logits: tf.Tensor, k: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The k largest values lie in the k chunks of CHUNK columns whose maxima are largest (a
    chunk holding one of them has a maximum at least as large, and there are only k of them).
    The chosen chunks are taken in column order, and top_k prefers the lower chunk on equal
    maxima, so equal values resolve to the lower column, as `tf.math.top_k` does."""
    rows = tf.shape(logits)[0]
    columns = tf.shape(logits)[1]
    padded = tf.pad(logits, [[0, 0], [0, (-columns) % CHUNK]], constant_values=float("-inf"))
    chunks = tf.reshape(padded, [rows, -1, CHUNK])
    best = tf.sort(tf.math.top_k(tf.reduce_max(chunks, axis=2), k).indices, axis=1)
    candidates = tf.reshape(tf.gather(chunks, best, batch_dims=1), [rows, -1])
    top = tf.math.top_k(candidates, k)
    column = tf.reshape(best[:, :, None] * CHUNK + tf.range(CHUNK)[None, None, :], [rows, -1])
    return top.values, tf.gather(column, top.indices, batch_dims=1)


class ScoringHead:
    """A loaded model split at its output layer: the trunk (LSTMs, projection) and the logits.

    The output layer's own variables are used, not a copy: a worker holds the weights once.
    """

    def __init__(self, model: Any, output_layer: str) -> None:
        import keras

        output = model.get_layer(output_layer)
        self.trunk = keras.Model(model.inputs, output.input, name="btrnn_trunk")
        self.kernel = output.kernel
        self.bias = output.bias
        self._logits = tf.function(self._fused_logits, jit_compile=True, reduce_retracing=True)
        self._log_total = tf.function(
            lambda logits: tf.reduce_logsumexp(logits, axis=1),
            jit_compile=True,
            reduce_retracing=True,
        )

    def _fused_logits(self, state: tf.Tensor) -> tf.Tensor:
        return tf.matmul(state, self.kernel) + self.bias

    def logits(self, features: tf.Tensor) -> tf.Tensor:
        """Every output column's logit for (rows, 11, features) inputs."""
        return self._logits(self.trunk(features, training=False))

    def log_total(self, logits: tf.Tensor) -> tf.Tensor:
        """Each row's log softmax denominator (probabilities of the published items only)."""
        return self._log_total(logits)
