"""The trainer's Spark side: which windows the validation holds out (a real local session)."""

from __future__ import annotations


def test_validation_never_takes_a_users_only_training_window(tmp_path, monkeypatch):
    monkeypatch.setenv("BTRNN_STATE_DIR", str(tmp_path))
    from btrnn.spark import get_session
    from btrnn.train import _held_out

    spark = get_session("btrnn-test-held-out")
    key = ["user_id", "label_rank"]
    windows = spark.createDataFrame([(1, 5), (2, 12), (2, 13)], key)
    # User 1's validation window is its only training window; user 4's is held out upstream.
    validation = spark.createDataFrame([(1, 5), (2, 13), (4, 9)], key)
    try:
        assert sorted(map(tuple, _held_out(windows, validation).collect())) == [(2, 13), (4, 9)]
    finally:
        spark.stop()
