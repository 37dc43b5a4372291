"""`btrnn models list|show|promote|rollback` on a local model store, and the CLI's error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_model import write_bundle

from btrnn.artifacts import ArtifactError, ModelStore
from btrnn.cli import main


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    """Two published versions, the second CURRENT, each with its own training metrics."""
    folder = write_bundle(tmp_path / "bundle")
    store = ModelStore.from_uri(tmp_path / "store")
    for version, epochs in (("v1", 3), ("v2", 5)):
        metadata = {"trained_at": "2026-11-27T00:00:00+00:00", "labels": 40}
        metadata["metrics"] = {"epochs_run": epochs, "best_epoch": 2, "curve": [1, 2, 3]}
        if version == "v2":
            metadata["spec_hash"] = "0123456789abcdef"  # btrnn.spec
        (folder / "metadata.json").write_text(json.dumps(metadata))
        store.publish(folder, version=version)
    return store


def models(store: ModelStore, *args: str) -> int:
    return main(["models", "--model-uri", store.uri, *args])


def test_list_marks_current(store, capsys):
    assert models(store, "list") == 0
    assert capsys.readouterr().out.splitlines() == ["  v1", "* v2"]


def test_show_prints_a_versions_headline_metadata(store, capsys):
    assert models(store, "show", "v1") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "v1" and shown["current"] is False
    assert shown["metrics"] == {"epochs_run": 3, "best_epoch": 2}  # not the whole curve
    assert shown["spec_hash"] is None  # a model from before specs
    assert models(store, "show") == 0  # default: CURRENT
    current = json.loads(capsys.readouterr().out)
    assert current["metrics"]["epochs_run"] == 5 and current["spec_hash"] == "0123456789abcdef"


def test_rollback_then_promote_move_current(store):
    assert models(store, "rollback") == 0
    assert store.read_current() == "v1"
    assert models(store, "promote", "v2") == 0
    assert store.read_current() == "v2"


def test_errors_are_one_line_and_debug_shows_the_traceback(store, capsys):
    assert models(store, "promote", "v9") == 1
    error = capsys.readouterr().err
    assert error.startswith("btrnn models: ") and error.count("\n") == 1
    assert "v9" in error and "Traceback" not in error
    assert store.read_current() == "v2"  # unchanged
    models(store, "rollback")
    assert models(store, "rollback") == 1  # nothing before v1
    assert "no version before v1" in capsys.readouterr().err
    with pytest.raises(ArtifactError):
        main(["--debug", "models", "--model-uri", store.uri, "promote", "v9"])


def test_version_flag(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("btrnn ")


def test_evaluate_fail_on_gate_exits_3_when_btrnn_loses(monkeypatch, capsys):
    """The CLI's wiring only (the evaluation itself runs in pytests/model/test_evaluate.py)."""
    from types import SimpleNamespace

    from btrnn.evaluation import protocol
    from btrnn.evaluation.metrics import GateVerdict

    lost = GateVerdict(False, "btrnn", "cooccurrence", 0.1, 0.2, "ndcg_at_100", "btrnn lost")
    monkeypatch.setattr(protocol, "run_evaluation", lambda config: SimpleNamespace(gate=lost))
    assert main(["evaluate"]) == 0  # without the flag a lost gate is a result, not an error
    assert main(["evaluate", "--fail-on-gate"]) == 3
    assert "the release gate failed: btrnn lost" in capsys.readouterr().err
