"""The evaluation's plumbing without Spark: seeds' mean and spread, data-layer reuse, ablations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from btrnn.evaluation import protocol as evaluate
from btrnn.evaluation.metrics import summarize
from btrnn.evaluation.protocol import (
    ABLATION_HEADER,
    EVALUATION_SCHEMA,
    EvaluationConfig,
    EvaluationResult,
    ablation_line,
    ablation_rows,
    format_table,
    mean_summary,
    spread,
)
from btrnn.train import TrainConfig


def test_mean_and_spread_over_seeds():
    runs = [summarize(np.array([1, 5, 50]), 100), summarize(np.array([2, 9, 80]), 100)]
    mean = mean_summary(runs)
    assert mean.ndcg_at_100 == pytest.approx((runs[0].ndcg_at_100 + runs[1].ndcg_at_100) / 2)
    assert mean.users == 3 and mean.candidates == 100
    assert spread(runs)["hr_at_10"] == pytest.approx(np.std([2 / 3, 2 / 3]))
    assert spread(runs)["mrr"] == pytest.approx(abs(runs[0].mrr - runs[1].mrr) / 2)
    table = format_table({"btrnn": mean}, {"btrnn": spread(runs)})
    assert " ± " in table.splitlines()[-1]
    assert " ± " not in format_table({"btrnn": mean})


def test_data_layer_is_rebuilt_unless_the_same_vars_built_it(tmp_path, monkeypatch):
    monkeypatch.setenv("BTRNN_STATE_DIR", str(tmp_path))
    builds: list[dict] = []
    monkeypatch.setattr(evaluate, "run_dbt", lambda args, variables, env: builds.append(variables))
    config = EvaluationConfig(
        variables={"product_ids": "hashed", "every_prefix_windows": False}, reuse_data_layer=True
    )
    evaluate.build_data_layer(config)
    evaluate.build_data_layer(config)
    assert len(builds) == 1 and builds[0]["evaluation_holdout"] is True
    evaluate.build_data_layer(replace(config, variables={"product_ids": "hashed"}))
    evaluate.build_data_layer(replace(config, reuse_data_layer=False))
    assert len(builds) == 3


def test_ablation_rows_override_the_base(tmp_path: Path):
    base = EvaluationConfig(report=tmp_path / "evaluation.html", variables={"top_k": 20})
    rows = ablation_rows(
        base,
        {
            "default": {},
            "paper input": {"id_feature": True, "item_embedding": 0, "seeds": 3},
            "paper windows": {
                "variables": {"every_prefix_windows": False},
                "schema": "btrnn_eval_paper",
            },
            "longer": {"variables": {"sequence_length": 20}, "schema": "btrnn_eval_20"},
        },
    )
    assert rows["longer"].variables == {"top_k": 20, "sequence_length": 20}
    assert rows["longer"].schema == "btrnn_eval_20" and rows["longer"].train.units == 128
    assert rows["default"].variables == base.variables
    assert not any(row.price_check or row.record_gate for row in rows.values())
    assert rows["default"].train == base.train and rows["default"].reuse_data_layer
    assert rows["paper input"].train == replace(base.train, id_feature=True, item_embedding=0)
    assert rows["paper input"].seeds == 3
    assert rows["paper windows"].schema == "btrnn_eval_paper"
    assert rows["paper windows"].variables["every_prefix_windows"] is False
    assert rows["paper windows"].report == tmp_path / "ablation" / "paper-windows.html"
    assert base.train == TrainConfig(schema=EVALUATION_SCHEMA)


@pytest.mark.parametrize("name", ["ablation-online-retail-ii.yml", "ablation-sample.yml"])
def test_every_row_of_the_shipped_ablation_files_is_one_distinct_change(name: str, tmp_path: Path):
    import yaml

    from btrnn.runtime import PROJECT_ROOT

    base = EvaluationConfig(report=tmp_path / "evaluation.html")
    rows = ablation_rows(
        base, yaml.safe_load((PROJECT_ROOT / "examples" / name).read_text())["rows"]
    )
    default = rows.pop("default")
    assert default.train == base.train and default.schema == base.schema
    for row_name, row in rows.items():
        assert replace(row, seeds=default.seeds, report=default.report) != default, row_name
        # another data layout builds into its own schema, or the rows would rebuild each other's
        if row.variables != default.variables:
            assert row.schema != base.schema, row_name


def test_the_evaluation_store_sits_beside_the_default_store(monkeypatch, tmp_path: Path):
    from btrnn.warehouse import default_model_uri, evaluation_model_uri

    monkeypatch.setenv("BTRNN_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("BTRNN_MODEL_URI", raising=False)
    assert evaluation_model_uri() == str(tmp_path / "evaluation-models")
    monkeypatch.setenv("BTRNN_MODEL_URI", "s3://bucket/btrnn/models/")
    assert evaluation_model_uri() == "s3://bucket/btrnn/models/evaluation"
    assert default_model_uri() != evaluation_model_uri()


def test_an_ablation_line_fills_every_column_of_the_header(tmp_path: Path):
    runs = [summarize(np.array([1, 5, 50]), 100), summarize(np.array([2, 9, 80]), 100)]
    seeded = summarize(np.array([3, 30, 90]), 100)
    result = EvaluationResult(
        summaries={"btrnn": mean_summary(runs), "btrnn_seed": seeded},
        gate=None,  # type: ignore[arg-type]
        ranks={},
        report=tmp_path / "r.html",
        model_version="v",
        spread={"btrnn": spread(runs), "btrnn_seed": spread([seeded])},
        train_seconds=[10.0, 20.0],
    )
    line = ablation_line("two seeds", result, 2)
    assert line.count("|") == ABLATION_HEADER.count("|")
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[0] == "two seeds" and cells[-2:] == ["15", "2"]
    assert cells[2] == f"{mean_summary(runs).ndcg_at_100:.3f} ± {spread(runs)['ndcg_at_100']:.3f}"
    assert cells[7].startswith(f"{seeded.ndcg_at_100:.3f}")  # btrnn_seed NDCG@100


def test_evaluate_var_overrides_the_vars_file(tmp_path, monkeypatch):
    from btrnn import cli

    seen = []
    monkeypatch.setattr(evaluate, "run_evaluation", lambda config: seen.append(config) or _won())
    vars_file = tmp_path / "shop.yml"
    vars_file.write_text("sequence_length: 12\nshop_schema: raw\n")
    argv = ["evaluate", "--vars-file", str(vars_file), "--var", "sequence_length=20"]
    assert cli.main([*argv, "--var", "word2vec_max_iter=1"]) == 0
    assert seen[0].variables == {
        "sequence_length": 20,
        "shop_schema": "raw",
        "word2vec_max_iter": 1,
    }
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["evaluate", "--var", "sequence_length"])


def _won():
    from types import SimpleNamespace

    from btrnn.evaluation.metrics import GateVerdict

    return SimpleNamespace(gate=GateVerdict(True, "btrnn", "btrnn", 0.2, 0.1, "ndcg_at_100", "won"))
