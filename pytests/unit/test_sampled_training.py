"""The sampled-softmax training step: it updates only the output rows a batch used."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from btrnn.loss import LossSettings
from btrnn.model import ModelConfig, build_model
from btrnn.sampled_training import OUTPUT_LAYER, SampledSoftmaxTrainer

LABELS, NEGATIVES, BATCH = 200, 8, 4


def _trainer() -> tuple[keras.Model, SampledSoftmaxTrainer]:
    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(n_labels=LABELS, units=4), compile=False)
    counts = np.random.default_rng(0).integers(0, 50, size=LABELS)
    settings = LossSettings("sampled", NEGATIVES, 0.75)
    return model, SampledSoftmaxTrainer(model, settings, counts, 0.01, seed=0)


def _batch() -> tuple[tf.Tensor, tf.Tensor]:
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(BATCH, 11, 102)).astype(np.float32)
    return tf.constant(inputs), tf.constant([3, 3, 150, 7], tf.int32)


def test_a_step_changes_only_the_rows_of_its_labels_and_negatives():
    model, trainer = _trainer()
    rows_before = trainer.rows.numpy()
    bias_before = trainer.bias.numpy()
    body_before = [w.copy() for w in trainer.body.get_weights()]
    loss = float(trainer.train_step(*_batch()))
    assert np.isfinite(loss) and loss > 0
    m, v = trainer.output_optimizer.slots[trainer.rows.ref()]
    touched = np.flatnonzero(np.abs(m.numpy()).sum(axis=1))
    changed = np.flatnonzero((trainer.rows.numpy() != rows_before).any(axis=1))
    assert set(changed) <= set(touched) and {3, 150, 7} <= set(touched)
    assert len(touched) <= 3 + NEGATIVES
    untouched = np.setdiff1d(np.arange(LABELS), touched)
    assert len(untouched) >= LABELS - 3 - NEGATIVES
    assert np.array_equal(trainer.rows.numpy()[untouched], rows_before[untouched])
    assert np.array_equal(trainer.bias.numpy()[untouched], bias_before[untouched])
    assert not v.numpy()[untouched].any() and not m.numpy()[untouched].any()
    body_after = trainer.body.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(body_before, body_after, strict=True))
    # The model's Dense layer keeps its shape; it gets the rows at sync (once per epoch).
    output = model.get_layer(OUTPUT_LAYER)
    assert tuple(output.kernel.shape) == (4, LABELS)
    trainer.sync()
    np.testing.assert_array_equal(output.kernel.numpy(), trainer.rows.numpy().T)
    np.testing.assert_array_equal(output.bias.numpy(), trainer.bias.numpy())


def test_rows_used_earlier_are_left_alone_by_later_steps():
    _, trainer = _trainer()
    inputs, labels = _batch()
    trainer.train_step(inputs, labels)
    m, v = trainer.output_optimizer.slots[trainer.rows.ref()]
    first = np.flatnonzero(np.abs(m.numpy()).sum(axis=1))
    before = [trainer.rows.numpy(), m.numpy(), v.numpy()]
    trainer.train_step(inputs, tf.constant([40, 41, 42, 43], tf.int32))
    after = [trainer.rows.numpy(), m.numpy(), v.numpy()]
    moved = np.flatnonzero((after[1] != before[1]).any(axis=1))
    left = np.setdiff1d(first, moved)
    assert len(left) > 0, "some rows of the first step are not in the second"
    for old, new in zip(before, after, strict=True):
        assert np.array_equal(old[left], new[left])
