"""Scoring on one process: top-K from the logits, exclusions, padding and unknown ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_model import N_ITEMS, N_LABELS, TOP_K, random_inputs, write_bundle

from btrnn.artifacts import ArtifactError, ModelStore
from btrnn.bundle import ModelBundle
from btrnn.scoring import (
    CACHE_ENV,
    Scorer,
    ScoringSettings,
    _long_format,
    check_model_matches,
    model_cache_root,
    sequence_mismatch,
)


@pytest.fixture(scope="module")
def bundle_folder(tmp_path_factory) -> Path:
    return write_bundle(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def scorer(bundle_folder) -> Scorer:
    return Scorer(bundle_folder)


def test_top_k_equals_full_softmax_ranking(scorer, bundle_folder):
    inputs = random_inputs(np.random.default_rng(0), 16)
    ids, scores = scorer.top_k(inputs, TOP_K)
    model = ModelBundle.read(bundle_folder).load_model(bundle_folder)
    rows = scorer.items.rows_of(inputs.ravel()).reshape(inputs.shape)
    logits = model.predict(scorer.items.matrix[rows], verbose=0).astype(np.float64)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    best = np.argsort(-probabilities, axis=1)[:, :TOP_K]
    np.testing.assert_array_equal(ids, scorer.labels[best])
    np.testing.assert_allclose(scores, np.take_along_axis(probabilities, best, 1), rtol=1e-4)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_excluded_items_are_skipped_and_short_lists_padded(scorer):
    inputs = random_inputs(np.random.default_rng(1), 4)
    full, _ = scorer.top_k(inputs, TOP_K)
    exclude = full[:, :2]
    ids, _ = scorer.top_k(inputs, TOP_K, exclude=exclude)
    np.testing.assert_array_equal(ids[:, :3], full[:, 2:])
    assert not (ids[:, :, None] == exclude[:, None, :]).any()  # per row
    everything, _ = scorer.top_k(inputs[:1], N_LABELS + 3)
    assert (everything[0, N_LABELS:] == 0).all()  # more than |I'| asked: padded with id 0
    frame = _long_format(pd.Series([9]), everything, np.ones_like(everything, float), "user_id")
    assert len(frame) == N_LABELS and list(frame["rank"])[:3] == [1, 2, 3]


def test_a_batch_split_into_model_calls_scores_as_one_call(scorer, monkeypatch):
    """Large catalogues cut a batch into calls of at most LOGITS_BLOCK_BYTES of logits."""
    from btrnn import scoring

    inputs = random_inputs(np.random.default_rng(2), 50)
    targets = scorer.labels[np.arange(50) % N_LABELS]
    whole = scorer.top_k(inputs, TOP_K, exclude=targets[:, None])
    ranks = scorer.target_ranks(inputs, targets, N_LABELS + 1, exclude=targets[::-1])
    assert len(scorer._parts(50)) == 1
    monkeypatch.setattr(scoring, "LOGITS_BLOCK_BYTES", 4 * N_LABELS * 16)  # 16-row calls
    assert [part.stop - part.start for part in scorer._parts(50)] == [16, 16, 16, 16]
    split = scorer.top_k(inputs, TOP_K, exclude=targets[:, None])
    np.testing.assert_array_equal(split[0], whole[0])
    np.testing.assert_allclose(split[1], whole[1], rtol=1e-6)
    split_ranks = scorer.target_ranks(inputs, targets, N_LABELS + 1, exclude=targets[::-1])
    np.testing.assert_array_equal(split_ranks, ranks)


def test_unknown_and_padding_ids_map_to_the_zero_row(scorer):
    rows = scorer.items.rows_of(np.array([0, 7, 8, 7 * N_ITEMS, 10**9]))
    assert list(rows) == [0, 1, 0, N_ITEMS, 0]
    assert list(scorer.items.with_vector(np.array([7, 7 * N_ITEMS, 10**9]))) == [True, False, False]


def test_current_is_resolved_once_per_dbt_invocation(bundle_folder, tmp_path):
    store = ModelStore.from_uri(str(tmp_path / "store"))
    first = store.publish(bundle_folder, version="v1")
    second = store.publish(bundle_folder, version="v2", make_current=False)
    settings = ScoringSettings.resolve(str(tmp_path / "store"), "", 5, 64, invocation_id="run-a")
    assert settings.model_version == first
    store.set_current(second)  # CURRENT moves while run-a is still scoring
    again = ScoringSettings.resolve(str(tmp_path / "store"), "", 5, 64, invocation_id="run-a")
    later = ScoringSettings.resolve(str(tmp_path / "store"), "", 5, 64, invocation_id="run-b")
    assert (again.model_version, later.model_version) == (first, second)
    pinned = ScoringSettings.resolve(str(tmp_path / "store"), "v1", 5, 64, invocation_id="run-b")
    assert pinned.model_version == first


def test_a_model_is_keyed_by_its_manifest_not_its_name(bundle_folder, tmp_path):
    """Two stores with a `v1` each never share rescoring keys (btrnn.rescoring hashes the
    manifest checksum into every row's scored_input), while one model keeps its key."""
    ModelStore.from_uri(str(tmp_path / "a")).publish(bundle_folder, version="v1")
    other = write_bundle(tmp_path / "other-bundle")  # other weights
    ModelStore.from_uri(str(tmp_path / "b")).publish(other, version="v1")
    a = ScoringSettings.resolve(str(tmp_path / "a"), "v1", 5, 64)
    b = ScoringSettings.resolve(str(tmp_path / "b"), "v1", 5, 64)
    assert a.model_version == b.model_version == "v1"
    assert len(a.model_checksum) == 64 and a.model_checksum != b.model_checksum
    assert (
        ScoringSettings.resolve(str(tmp_path / "a"), "", 5, 64).model_checksum == a.model_checksum
    )


def test_a_model_of_another_sequence_length_is_refused_before_any_spark_job(
    bundle_folder, tmp_path
):
    ModelStore.from_uri(str(tmp_path / "store")).publish(bundle_folder, version="v1")
    settings = ScoringSettings.resolve(str(tmp_path / "store"), "v1", 5, 64)
    # No warehouse at all (None for its tables): the check stops before reading one.
    with pytest.raises(
        ArtifactError,
        match=r"reads 11 purchases \(sequence_length 12\), this "
        r"data layer's inputs are 19 \(sequence_length 20\)",
    ):
        check_model_matches(settings, None, None, "20")  # type: ignore[arg-type]
    assert sequence_mismatch(11, "12") is None and sequence_mismatch(11, None) is None


def test_a_worker_holds_one_model_and_lets_go_of_the_one_before(bundle_folder, tmp_path):
    """Reused Python workers score version after version: only the newest stays loaded."""
    import gc
    import weakref

    from btrnn import scoring

    uri = str(tmp_path / "store")
    store = ModelStore.from_uri(uri)
    for version in ("v1", "v2"):
        store.publish(bundle_folder, version=version)
    before = scoring.loads
    first = scoring.get_scorer(uri, "v1")
    assert scoring.get_scorer(uri, "v1") is first  # loaded once, then reused
    released = weakref.ref(first)
    del first
    second = scoring.get_scorer(uri, "v2")
    gc.collect()
    assert released() is None, "the worker still holds v1 after loading v2"
    assert list(scoring._scorers) == [(uri, "v2")] and scoring.get_scorer(uri, "v2") is second
    assert scoring.loads - before == 2
    scoring.get_scorer(uri, "v1")  # back to v1: loaded again, v2 let go
    assert list(scoring._scorers) == [(uri, "v1")] and scoring.loads - before == 3


def test_model_cache_is_private_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_root() == tmp_path / "xdg" / "btrnn" / "models"  # not a shared /tmp
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert model_cache_root() == tmp_path / "mine"


def test_label_mismatch_says_what_differs():
    from btrnn.scoring import label_mismatch

    same = np.array([3, 1, 2])
    assert label_mismatch(same, np.array([1, 2, 3])) is None
    problem = label_mismatch(np.array([1, 2, 3]), np.array([2, 3, 4, 5]))
    assert problem is not None
    assert "3 output items" in problem and "I' (int_label_vocabulary) 4" in problem
    assert "1 only in the model (e.g. [1])" in problem
    assert "2 only in the warehouse (e.g. [4, 5])" in problem


def test_word2vec_mismatch_names_both_versions():
    from btrnn.items import ItemTable
    from btrnn.scoring import word2vec_mismatch

    features = np.ones((3, 4), np.float32)
    items = ItemTable.from_rows(np.array([5, 6, 7]), features)
    same = ItemTable.from_rows(np.array([7, 5, 6]), features)
    assert word2vec_mismatch(items.version(), same.version()) is None
    features[1, 3] = 2.0
    other = ItemTable.from_rows(np.array([5, 6, 7]), features)
    problem = word2vec_mismatch(items.version(), other.version())
    assert problem is not None and items.version() in problem and other.version() in problem
