"""LazyAdam: Keras' Adam on the rows a gradient touched, nothing at all on the others."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from btrnn.lazy_adam import LazyAdam


def _start() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)


def _rows(values: np.ndarray, rows: list[int]) -> tf.IndexedSlices:
    return tf.IndexedSlices(tf.constant(values[rows]), tf.constant(rows, tf.int64), (5, 3))


def test_rows_touched_at_every_step_follow_keras_adam():
    gradients = [np.random.default_rng(step).normal(size=(5, 3)) for step in range(3)]
    lazy_weights, dense_weights = tf.Variable(_start()), keras.Variable(_start())
    lazy, dense = LazyAdam(0.01), keras.optimizers.Adam(learning_rate=0.01)
    lazy.build([lazy_weights])
    for gradient in gradients:
        lazy.apply([_rows(gradient.astype(np.float32), [0, 1, 2, 3, 4])], [lazy_weights])
        dense.apply_gradients([(tf.constant(gradient, tf.float32), dense_weights)])
    np.testing.assert_allclose(lazy_weights.numpy(), dense_weights.numpy(), rtol=1e-5, atol=1e-7)


def test_a_schedule_follows_keras_adam_with_the_same_schedule():
    gradients = [np.random.default_rng(step).normal(size=(5, 3)) for step in range(4)]
    lazy_weights, dense_weights = tf.Variable(_start()), keras.Variable(_start())
    schedule = keras.optimizers.schedules.CosineDecay(0.05, 4)
    lazy, dense = LazyAdam(schedule), keras.optimizers.Adam(learning_rate=schedule)
    lazy.build([lazy_weights])
    for gradient in gradients:
        lazy.apply([_rows(gradient.astype(np.float32), [0, 1, 2, 3, 4])], [lazy_weights])
        dense.apply_gradients([(tf.constant(gradient, tf.float32), dense_weights)])
    np.testing.assert_allclose(lazy_weights.numpy(), dense_weights.numpy(), rtol=1e-5, atol=1e-7)


def test_untouched_rows_keep_their_weights_and_moments_exactly():
    weights = tf.Variable(_start())
    optimizer = LazyAdam(0.1)
    optimizer.build([weights])
    m, v = optimizer.slots[weights.ref()]
    gradient = np.ones((5, 3), np.float32)
    optimizer.apply([_rows(gradient, [0, 1, 2])], [weights])
    before = [weights.numpy(), m.numpy(), v.numpy()]
    optimizer.apply([_rows(gradient, [2, 3])], [weights])
    after = [weights.numpy(), m.numpy(), v.numpy()]
    for old, new in zip(before, after, strict=True):
        assert np.array_equal(old[[0, 1]], new[[0, 1]]), "rows 0, 1 not in the second step"
        assert not np.array_equal(old[[2, 3]], new[[2, 3]])
    assert np.array_equal(after[0][4], _start()[4]) and not after[1][4].any()


def test_a_row_given_twice_gets_the_sum_of_its_slices():
    twice, once = tf.Variable(_start()), tf.Variable(_start())
    for variable, gradient in (
        (twice, tf.IndexedSlices(tf.ones((2, 3)), tf.constant([1, 1]), (5, 3))),
        (once, tf.IndexedSlices(tf.fill((1, 3), 2.0), tf.constant([1]), (5, 3))),
    ):
        optimizer = LazyAdam(0.1)
        optimizer.build([variable])
        optimizer.apply([gradient], [variable])
    np.testing.assert_array_equal(twice.numpy(), once.numpy())


def test_a_dense_gradient_is_refused():
    weights = tf.Variable(_start())
    optimizer = LazyAdam(0.1)
    optimizer.build([weights])
    with pytest.raises(TypeError, match="IndexedSlices"):
        optimizer.apply([tf.ones((5, 3))], [weights])
