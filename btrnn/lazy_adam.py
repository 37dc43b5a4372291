"""Adam that updates only the rows a gradient touched (tf.IndexedSlices): the output layer's.

Written here because neither Keras 3 nor TensorFlow 2.21 ships one: Keras' Adam turns an
IndexedSlices gradient dense (`gradient - m` over the whole variable), so every step would read
and write all |I'| x units weights and both moment slots, and decay the moments of rows the batch
never used; TF Addons' LazyAdam (Keras 2) is end-of-life. Here a step gathers the touched rows'
m and v, updates them as Adam does, and scatters them and the weight change back: O(rows x units).

For a row touched at every step this is exactly Keras' Adam (same betas, epsilon and bias
correction by the global step); an untouched row keeps its weights and moments unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


class LazyAdam:
    """Adam over tf.Variables whose gradients are tf.IndexedSlices (rows of a matrix or vector)."""

    def __init__(
        self,
        learning_rate: float | Callable[[tf.Tensor], tf.Tensor],  # a Keras schedule of the step
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,  # Keras' Adam default
    ) -> None:
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="lazy_adam_steps")
        self.slots: dict[object, tuple[tf.Variable, tf.Variable]] = {}  # by variable.ref()

    def build(self, variables: list[tf.Variable]) -> None:
        """Create the m and v slots (outside any tf.function)."""
        for variable in variables:
            self.slots[variable.ref()] = (
                tf.Variable(tf.zeros_like(variable), trainable=False, name="m"),
                tf.Variable(tf.zeros_like(variable), trainable=False, name="v"),
            )

    def apply(self, gradients: list[tf.IndexedSlices], variables: list[tf.Variable]) -> None:
        # A schedule reads the steps taken before this one, as Keras' optimizers do.
        rate = (
            self.learning_rate(self.iterations)
            if callable(self.learning_rate)
            else self.learning_rate
        )
        self.iterations.assign_add(1)
        step = tf.cast(self.iterations, tf.float32)
        alpha = rate * tf.sqrt(1.0 - tf.pow(self.beta_2, step)) / (1.0 - tf.pow(self.beta_1, step))
        for gradient, variable in zip(gradients, variables, strict=True):
            if not isinstance(gradient, tf.IndexedSlices):
                raise TypeError(f"{variable.name}: expected tf.IndexedSlices, got a dense gradient")
            rows, values = _summed(gradient)
            m, v = self.slots[variable.ref()]
            m_rows = self.beta_1 * tf.gather(m, rows) + (1.0 - self.beta_1) * values
            v_rows = self.beta_2 * tf.gather(v, rows) + (1.0 - self.beta_2) * tf.square(values)
            m.scatter_update(tf.IndexedSlices(m_rows, rows))
            v.scatter_update(tf.IndexedSlices(v_rows, rows))
            change = alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon)
            variable.scatter_sub(tf.IndexedSlices(change, rows))


def _summed(gradient: tf.IndexedSlices) -> tuple[tf.Tensor, tf.Tensor]:
    """Unique rows and the sum of their gradient slices (a row may occur more than once)."""
    rows, position = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(rows)[0])
    return rows, values
