"""The scoring head: the chunked top K is tf.math.top_k, ties included; the split model's logits
are the whole model's."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from btrnn.model import ModelConfig, build_model
from btrnn.scoring_head import CHUNK, ScoringHead, top_k


@pytest.mark.parametrize(
    ("columns", "k"),
    [
        (16 * CHUNK * 5, 5),  # chunked: exactly enough chunks
        (16 * CHUNK * 3 + 77, 3),  # chunked, the last chunk padded
        (16 * CHUNK * 5 - 1, 5),  # one column short: tf.math.top_k itself
        (300, 20),
    ],
)
def test_top_k_is_tf_top_k_with_ties_to_the_lower_column(columns: int, k: int):
    rng = np.random.default_rng(columns)
    # Few distinct values: many ties inside and across chunks, and equal chunk maxima.
    logits = rng.integers(-50, 8, size=(6, columns)).astype(np.float32)
    logits[0] = 1.0  # a row of one value: the first k columns
    logits[1, -1] = 9.0  # the best column in the padded last chunk
    values, indices = top_k(tf.constant(logits), k)
    expected = tf.math.top_k(logits, k)
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    assert indices.numpy()[0].tolist() == list(range(k))
    assert indices.numpy()[1, 0] == columns - 1


def test_top_k_takes_k_as_a_tensor_inside_a_graph():
    logits = np.random.default_rng(1).normal(size=(3, 16 * CHUNK * 4)).astype(np.float32)
    call = tf.function(
        top_k, input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([], tf.int32)]
    )
    for k in (1, 4, 20):
        _, indices = call(tf.constant(logits), tf.constant(k, tf.int32))
        np.testing.assert_array_equal(indices.numpy(), tf.math.top_k(logits, k).indices.numpy())


@pytest.mark.parametrize("output_space", [ModelConfig.feature_length, 0])
def test_the_head_gives_the_models_logits_and_normaliser(output_space: int):
    config = ModelConfig(n_labels=40, units=8, output_space=output_space)
    model = build_model(config, compile=False)
    features = np.random.default_rng(2).normal(size=(5, 11, 102)).astype(np.float32)
    head = ScoringHead(model, "next_item_logits")
    logits = head.logits(tf.constant(features)).numpy()
    expected = model(features, training=False).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    total = head.log_total(tf.constant(logits)).numpy()
    np.testing.assert_allclose(total, np.log(np.exp(expected).sum(axis=1)), rtol=1e-5)
    # The head reads the output layer's own variables: no copy of the weights.
    assert head.kernel is model.get_layer("next_item_logits").kernel
