"""Training with sampled softmax: a step's cost does not grow with |I'|.

The model keeps its Dense(|I'|) layer, so scoring still takes the top-K of every logit, exactly.
Only training differs: the layer's weights live transposed, as an (|I'|, units) variable of
rows, so a step gathers the rows of its labels and negatives (tf.gather's gradient is a
tf.IndexedSlices of those rows) and LazyAdam updates those rows alone. The LSTMs get Keras' Adam,
as with the full loss. `sync` copies the rows back into the Dense layer after every epoch,
before validation or saving reads the model (one |I'| x units copy per epoch, not per step).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from btrnn.lazy_adam import LazyAdam
from btrnn.loss import LossSettings
from btrnn.model import OUTPUT_LAYER
from btrnn.sampled_softmax import LabelSampler, sampled_softmax_loss


class SampledSoftmaxTrainer:
    """Trains a btrnn.model network with sampled softmax over its output layer's columns."""

    def __init__(
        self,
        model: keras.Model,
        settings: LossSettings,
        label_counts: np.ndarray,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
        seed: int,
    ) -> None:
        self._output = model.get_layer(OUTPUT_LAYER)
        self.body = keras.Model(model.inputs, self._output.input, name="btrnn_body")
        self.rows = tf.Variable(tf.transpose(self._output.kernel), name="output_rows")
        self.bias = tf.Variable(tf.convert_to_tensor(self._output.bias), name="output_bias")
        self.body_optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        self.body_optimizer.build(self.body.trainable_variables)
        self.output_optimizer = LazyAdam(learning_rate)
        self.output_optimizer.build([self.rows, self.bias])
        self.sampler = LabelSampler(label_counts, settings.sampler_alpha, settings.negatives, seed)
        _, length, features = model.inputs[0].shape
        self.train_step = tf.function(
            self._train_step,
            input_signature=[
                tf.TensorSpec([None, length, features], tf.float32),
                tf.TensorSpec([None], tf.int32),
            ],
        )

    def _train_step(self, inputs: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        candidates, sampled_log_q = self.sampler.sample()
        # One gather of unique rows for the labels and the negatives: each row's gradient is one
        # slice, and the logits of both come out of one matmul.
        rows, position = tf.unique(tf.concat([labels, candidates], axis=0))
        n = tf.shape(labels)[0]
        body_variables = self.body.trainable_variables
        output_variables = [self.rows, self.bias]
        with tf.GradientTape() as tape:
            weights, bias = tf.gather(self.rows, rows), tf.gather(self.bias, rows)
            hidden = self.body(inputs, training=True)
            logits = tf.matmul(hidden, weights, transpose_b=True) + bias
            true_logits = tf.gather(logits, position[:n], batch_dims=1)
            sampled_logits = tf.gather(logits, position[n:], axis=1)
            per_example = sampled_softmax_loss(
                true_logits,
                sampled_logits,
                labels,
                candidates,
                self.sampler.log_q(labels),
                sampled_log_q,
            )
            loss = tf.reduce_mean(per_example)
        gradients = tape.gradient(loss, body_variables + output_variables)
        self.body_optimizer.apply_gradients(
            zip(gradients[: len(body_variables)], body_variables, strict=True)
        )
        self.output_optimizer.apply(gradients[len(body_variables) :], output_variables)
        return loss

    def fit_epoch(self, dataset: tf.data.Dataset, verbose: int) -> float:
        """One pass over `dataset`'s (inputs, labels) batches; the mean sampled loss."""
        steps = int(dataset.cardinality())
        progress = keras.utils.Progbar(
            steps if steps > 0 else None, verbose=verbose, stateful_metrics=["loss"]
        )
        total, batches = 0.0, 0
        for inputs, labels in dataset:
            total, batches = total + float(self.train_step(inputs, labels)), batches + 1
            progress.update(batches, [("loss", total / batches)])  # the epoch's mean so far
        self.sync()
        return total / max(batches, 1)

    def sync(self) -> None:
        """Write the trained rows into the model's Dense(|I'|) layer."""
        self._output.kernel.assign(tf.transpose(self.rows))
        self._output.bias.assign(self.bias)
