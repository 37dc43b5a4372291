"""The model spec: what its hash keeps and leaves out, and how a difference is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from btrnn.spec import SPEC_VERSION, judged_spec, spec_differences, spec_hash
from btrnn.train import TrainConfig

DATA_LAYER = {"sequence_length": 12, "every_prefix_windows": True, "word2vec_size": 100}


def test_the_hash_leaves_out_the_seed_the_budget_and_the_schema():
    base = spec_hash(judged_spec(DATA_LAYER, TrainConfig()))
    elsewhere = replace(
        TrainConfig(), seed=7, epochs=2, max_steps=5, patience=1, validation_users=9, schema="x"
    )
    assert spec_hash(judged_spec(DATA_LAYER, elsewhere)) == base


@pytest.mark.parametrize(
    ("data_layer", "training"),
    [
        ({**DATA_LAYER, "sequence_length": 20}, TrainConfig()),
        ({**DATA_LAYER, "every_prefix_windows": False}, TrainConfig()),
        (DATA_LAYER, TrainConfig(units=600)),
        (DATA_LAYER, TrainConfig(seed_windows=False)),
        (DATA_LAYER, TrainConfig(learning_rate=2e-3)),
    ],
)
def test_every_setting_that_makes_another_model_changes_the_hash(data_layer, training):
    assert spec_hash(judged_spec(data_layer, training)) != spec_hash(
        judged_spec(DATA_LAYER, TrainConfig())
    )


def test_a_spec_is_flat_versioned_and_its_differences_are_named():
    judged = judged_spec(DATA_LAYER, TrainConfig())
    assert judged["spec_version"] == SPEC_VERSION and judged["units"] == 128
    assert "seed" not in judged and judged["sequence_length"] == 12
    other = judged_spec({**DATA_LAYER, "sequence_length": 20}, TrainConfig(units=600))
    assert spec_differences(judged, other) == [
        "sequence_length=20 (judged: 12)",
        "units=600 (judged: 128)",
    ]
    with pytest.raises(ValueError, match="share names"):
        judged_spec({"units": 3}, TrainConfig())
