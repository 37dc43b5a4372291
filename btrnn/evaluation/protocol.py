"""The paper's comparison, per SPEC's protocol: leave-last-out, full ranking, release gate.

Steps: build the data layer with `evaluation_holdout` into its own schema (the last two purchases
of every user with 3+ are invisible to Word2Vec, I', the windows and training), train BTRNN on
it, then let dbt rank every candidate item (all items of the training portion) for each user's
test target with the code that fills each published table (models/evaluation/, table
eval_target_ranks), and summarise, gate and report from that table.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from btrnn.artifacts import ModelStore
from btrnn.bundle import ModelBundle
from btrnn.dbt_runner import run_dbt
from btrnn.evaluation.metrics import GateVerdict, RankSummary, release_gate, summarize
from btrnn.evaluation.prices import PriceComparison, compare_prices, format_prices
from btrnn.evaluation.report import write_report
from btrnn.runtime import PROJECT_ROOT, state_dir
from btrnn.spec import spec_hash
from btrnn.train import TrainConfig, train_command
from btrnn.warehouse import evaluation_model_uri, read_warehouse_table

EVALUATION_MODELS = (
    "+item_features +int_training_windows +int_validation_windows +int_label_vocabulary"
    " +int_item_popularity +int_bought_next_pairs +int_products_catalog"
    " +int_eval_test_inputs +int_eval_candidates"
)
BASELINES = ("popularity", "cooccurrence", "word2vec")
BTRNN_MODELS = ("btrnn", "btrnn_seed")
# The rank tables (models/evaluation/): the baselines' once, BTRNN's once per trained model.
RANK_MODELS = ("eval_ranks_popularity", "eval_ranks_cooccurrence", "eval_ranks_word2vec")
BTRNN_RANK_MODELS = ("eval_ranks_btrnn", "eval_target_ranks")
# The price check: every recommender's published tables for the tested users, scored with the
# last seed's model (as eval_target_ranks' BTRNN ranks are), and their prices beside the
# references; the data layer is built already.
PRICE_SELECTION = "+eval_price_comparison"

# The evaluation trains in its own schema, with the defaults every path shares (btrnn.spec).
EVALUATION_SCHEMA = "btrnn_eval"


@dataclass(frozen=True)
class EvaluationConfig:
    """The run's parameters: data (dbt vars), training, seeds, and where the report goes."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    train: TrainConfig = TrainConfig(schema=EVALUATION_SCHEMA)
    seeds: int = 1  # BTRNN trained with seeds train.seed, train.seed + 1, ...: mean and spread
    reuse_data_layer: bool = False  # skip dbt when the schema was built with the same vars
    report: Path = PROJECT_ROOT / "reports" / "evaluation.html"
    gate_metric: str = "ndcg_at_100"
    # Record the verdict in the warehouse's release_gate table, which the *_default views follow
    # (off for ablation rows: a row is a measurement, not a release decision).
    record_gate: bool = True
    # The paper's price check (eval_price_comparison, with the last seed's model): builds every
    # recommender's published tables in the evaluation schema.
    price_check: bool = True

    @property
    def schema(self) -> str:
        return self.train.schema


@dataclass
class EvaluationResult:
    summaries: dict[str, RankSummary]  # mean over seeds for BTRNN's models
    gate: GateVerdict
    ranks: dict[str, np.ndarray]  # the first seed's for BTRNN's models
    report: Path
    model_version: str
    runs: dict[str, list[RankSummary]] = field(default_factory=dict)  # one per seed
    spread: dict[str, dict[str, float]] = field(default_factory=dict)  # std over seeds
    train_seconds: list[float] = field(default_factory=list)
    prices: list[PriceComparison] | None = None  # None: the price check was not run
    spec: dict[str, Any] = field(default_factory=dict)  # what the gate judged (btrnn.spec)


def _train(config: TrainConfig, model_uri: str) -> str:
    # A separate process: its JVM must let go of the metastore before dbt runs again.
    command = train_command(config, model_uri)
    subprocess.run(command, check=True, env={**os.environ, "BTRNN_SCHEMA": config.schema})
    return ModelStore.from_uri(model_uri).current_version()


def mean_summary(runs: Sequence[RankSummary]) -> RankSummary:
    """Field-wise mean of one model's summaries over seeds (users and candidates are shared)."""
    values: dict[str, Any] = {n: float(np.mean([getattr(r, n) for r in runs])) for n in _FIELDS}
    return replace(runs[0], **values)


def spread(runs: Sequence[RankSummary]) -> dict[str, float]:
    """Standard deviation over seeds of every metric (0 for one seed)."""
    return {name: float(np.std([getattr(r, name) for r in runs])) for name in _FIELDS}


_FIELDS = (
    "hr_at_10",
    "hr_at_100",
    "ndcg_at_10",
    "ndcg_at_100",
    "mrr",
    "mean_rank",
    "median_rank",
    "mean_rank_percentile",
    "wilcoxon_statistic",
    "wilcoxon_p_value",
)
_COLUMNS = (
    ("HR@10", "hr_at_10", "{:.3f}"),
    ("NDCG@10", "ndcg_at_10", "{:.3f}"),
    ("HR@100", "hr_at_100", "{:.3f}"),
    ("NDCG@100", "ndcg_at_100", "{:.3f}"),
    ("MRR", "mrr", "{:.3f}"),
    ("mean rank", "mean_rank", "{:.0f}"),
    ("median rank", "median_rank", "{:.0f}"),
    ("mean rank %ile", "mean_rank_percentile", "{:.1%}"),
    ("Wilcoxon p", "wilcoxon_p_value", "{:.1e}"),
)


def format_table(
    summaries: Mapping[str, RankSummary], spreads: Mapping[str, Mapping[str, float]] | None = None
) -> str:
    """The summary as a Markdown table (README, terminal); `spreads` adds `± std` where given."""
    lines = [
        "| system | " + " | ".join(c[0] for c in _COLUMNS) + " |",
        "| --- |" + " --- |" * len(_COLUMNS),
    ]
    for name, summary in summaries.items():
        spread_of = (spreads or {}).get(name)
        cells = []
        for _, attr, fmt in _COLUMNS:
            cell = fmt.format(getattr(summary, attr))
            if spread_of and attr != "wilcoxon_p_value":
                cell += " ± " + fmt.format(spread_of[attr])
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def data_layer_marker(schema: str) -> Path:
    """Where a build records the vars it built `schema` with (for `reuse_data_layer`)."""
    return state_dir() / f"data-layer-{schema}.json"


def _data_variables(config: EvaluationConfig) -> dict[str, Any]:
    return {**config.variables, "evaluation_holdout": True}


def build_data_layer(config: EvaluationConfig) -> None:
    """dbt build of the evaluation models with the holdout; skipped when already built alike."""
    variables = _data_variables(config)
    recorded = json.dumps({"variables": variables, "models": EVALUATION_MODELS}, sort_keys=True)
    marker = data_layer_marker(config.schema)
    if config.reuse_data_layer and marker.exists() and marker.read_text() == recorded:
        print(f"=== reusing the data layer of schema {config.schema} (built with the same vars)")
        return
    print(f"=== data layer with the last two purchases held out (schema {config.schema})")
    marker.unlink(missing_ok=True)
    selection = ["--select", EVALUATION_MODELS, "--indirect-selection", "cautious"]
    run_dbt(["build", *selection], variables=variables, env={"BTRNN_SCHEMA": config.schema})
    marker.write_text(recorded)


def build_ranks(
    config: EvaluationConfig, model_uri: str, version: str, baselines: bool, prices: bool = False
) -> dict[str, np.ndarray]:
    """Every recommender's rank of each test target, in the warehouse (models/evaluation/): the
    code that fills each published table computes them, BTRNN's on the executors in its scoring
    call. Returns eval_target_ranks as one array per recommender, users in id order.

    With `baselines`, the baselines' ranks too; with `prices`, the price check's published tables
    and prices (eval_price_comparison), in the same dbt run.
    """
    models = (*RANK_MODELS, *BTRNN_RANK_MODELS) if baselines else BTRNN_RANK_MODELS
    selection = ["--select", *models]
    if prices:
        selection += [PRICE_SELECTION, "--exclude", EVALUATION_MODELS]
    variables = {**_data_variables(config), "model_uri": model_uri, "model_version": version}
    run_dbt(["build", *selection], variables=variables, env={"BTRNN_SCHEMA": config.schema})
    ranks = read_warehouse_table("eval_target_ranks", config.schema).sort_values("user_id")
    by_recommender = dict(tuple(ranks.groupby("recommender", sort=False)))
    return {
        name: by_recommender[name]["rank"].to_numpy(np.int64)
        for name in (*BTRNN_MODELS, *BASELINES)
    }


def count_candidates(schema: str) -> int:
    return len(read_warehouse_table("int_eval_candidates", schema))


def _train_and_rank(
    config: EvaluationConfig, model_uri: str
) -> tuple[list[dict[str, np.ndarray]], list[str], list[float], dict[str, Any]]:
    """BTRNN trained once per seed; each run's ranks of the test targets (the first run's also
    holds the baselines'), and the models' spec (the same for every seed)."""
    runs, versions, seconds, spec = [], [], [], {}
    for offset in range(config.seeds):
        seed = config.train.seed + offset
        step = f"seed {seed}, run {offset + 1} of {config.seeds}"
        print(f"=== training BTRNN on the training portion ({step})")
        version = _train(replace(config.train, seed=seed), model_uri)
        folder = ModelStore.from_uri(model_uri).fetch(version, state_dir() / "evaluation-cache")
        metadata = ModelBundle.read(folder).metadata
        seconds.append(float(metadata["metrics"]["seconds"]))
        spec = metadata["spec"]
        print(f"=== ranking every candidate for every user's test target ({step})")
        prices = config.price_check and offset == config.seeds - 1
        runs.append(build_ranks(config, model_uri, version, offset == 0, prices))
        versions.append(version)
    if not runs:
        raise ValueError("seeds must be >= 1")
    return runs, versions, seconds, spec


def run_evaluation(config: EvaluationConfig) -> EvaluationResult:
    started = time.perf_counter()
    build_data_layer(config)
    model_uri = evaluation_model_uri()
    runs, versions, seconds, spec = _train_and_rank(config, model_uri)
    ranks = runs[0]
    prices = (
        compare_prices(read_warehouse_table("eval_price_comparison", config.schema))
        if config.price_check
        else None
    )
    n_candidates = count_candidates(config.schema)
    users = len(ranks["btrnn"])
    seed = config.train.seed
    per_seed = {
        name: [summarize(run[name], n_candidates, seed) for run in runs] for name in BTRNN_MODELS
    }
    summaries = {name: summarize(r, n_candidates, seed) for name, r in ranks.items()}
    summaries.update({name: mean_summary(r) for name, r in per_seed.items()})
    spreads = {name: spread(r) for name, r in per_seed.items()} if config.seeds > 1 else {}
    # The gate compares BTRNN with the baselines (btrnn_seed is a view of BTRNN, not a rival).
    gated = {name: summaries[name] for name in ("btrnn", *BASELINES)}
    gate = release_gate(gated, "btrnn", config.gate_metric)
    parameters = {
        **asdict(config.train),
        **{k: v for k, v in asdict(config).items() if k not in ("variables", "report", "train")},
        # An empty mapping dumps as the truthy "{}": name the bundled sample instead.
        "data": json.dumps(dict(config.variables), default=str)
        if config.variables
        else "bundled sample",
        "users": users,
        "candidates": n_candidates,
        "model_version": ", ".join(versions),
        "train_seconds": ", ".join(f"{s:.0f}" for s in seconds),
        "seconds": round(time.perf_counter() - started),
        "spec_hash": spec_hash(spec),
    }
    if spreads:
        parameters["btrnn over seeds"] = format_table(
            {n: summaries[n] for n in BTRNN_MODELS}, spreads
        )
    report = write_report(
        config.report, ranks, n_candidates, parameters, summaries, gate=gate, prices=prices
    )
    _write_figures(
        gate, summaries, per_seed, parameters, prices, config.report.with_suffix(".json")
    )
    if config.record_gate:
        record_verdict(config, gate, gated, spec)
    print(format_table(summaries, spreads))
    if prices:
        print("prices of recommended items (paper, section 3.2):")
        print(format_prices(prices))
    print(f"training seconds per seed: {', '.join(f'{s:.0f}' for s in seconds)}")
    print(gate.message)
    print(f"report: {report}")
    return EvaluationResult(
        summaries, gate, ranks, report, versions[-1], per_seed, spreads, seconds, prices, spec
    )


def _write_figures(
    gate: GateVerdict,
    summaries: Mapping[str, RankSummary],
    per_seed: Mapping[str, Sequence[RankSummary]],
    parameters: dict,
    prices: Sequence[PriceComparison] | None,
    path: Path,
) -> None:
    """The run's figures and verdict beside the report."""
    verdict = {"passed": gate.passed, "message": gate.message, "default_recommender": _chosen(gate)}
    record = {
        "gate": verdict,
        "summaries": {name: s.as_dict() for name, s in summaries.items()},
        "seeds": {name: [s.as_dict() for s in runs] for name, runs in per_seed.items()},
        "prices": None if prices is None else [c.as_dict() for c in prices],
        "parameters": parameters,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str))


def _chosen(gate: GateVerdict) -> str:
    return "btrnn" if gate.passed else gate.best_baseline


def record_verdict(
    config: EvaluationConfig,
    gate: GateVerdict,
    gated: Mapping[str, RankSummary],
    spec: Mapping[str, Any],
) -> None:
    """The verdict as a row of the published schema's `release_gate` table, for this data, with
    the spec it judged and its hash (btrnn.spec).

    `dbt run-operation record_release_gate` (macros/release_gate.sql, where the reader is too),
    with the run's vars, so the row carries the same data key a later `dbt build` computes.
    """
    verdict = {
        "run_id": f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}",
        "metric": gate.metric,
        "figures": {name: float(getattr(s, gate.metric)) for name, s in gated.items()},
        "passed": gate.passed,
        "default_recommender": _chosen(gate),
        "best_baseline": gate.best_baseline,
        "spec": dict(spec),
        "spec_hash": spec_hash(spec),
        "message": gate.message,
    }
    print("=== recording the release gate's verdict in the warehouse (table release_gate)")
    arguments = json.dumps({"verdict": verdict})
    run_dbt(["run-operation", "record_release_gate", "--args", arguments], config.variables)


ABLATION_COLUMNS = (
    ("NDCG@10", "ndcg_at_10", "{:.3f}"),
    ("NDCG@100", "ndcg_at_100", "{:.3f}"),
    ("HR@10", "hr_at_10", "{:.3f}"),
    ("HR@100", "hr_at_100", "{:.3f}"),
    ("MRR", "mrr", "{:.3f}"),
    ("mean rank %ile", "mean_rank_percentile", "{:.1%}"),
)


def ablation_rows(base: EvaluationConfig, rows: Mapping[str, Mapping[str, Any]]) -> dict:
    """One EvaluationConfig per named row: `base` with the row's overrides.

    A row may override any TrainConfig field, `seeds` and `variables` (dbt vars added to the
    data's, e.g. `sequence_length`, `every_prefix_windows`); the data layer is reused whenever a
    row's schema was last built with the same vars (give rows with another data layer their own
    `schema`, so the layouts do not rebuild each other).
    """
    configs = {}
    for name, overrides in rows.items():
        outer = {k: v for k, v in overrides.items() if k == "seeds"}
        extra = dict(overrides.get("variables") or {})
        training = {k: v for k, v in overrides.items() if k not in outer and k != "variables"}
        train = replace(base.train, **training)
        slug = "".join(c if c.isalnum() else "-" for c in name.lower())
        report = base.report.parent / "ablation" / f"{slug}.html"
        configs[name] = replace(
            base,
            variables={**base.variables, **extra},
            train=train,
            reuse_data_layer=True,
            report=report,
            record_gate=False,
            price_check=False,
            **outer,
        )
    return configs


# The seed table's columns beside BTRNN's (issue 11 judges it against co-occurrence on NDCG@100).
SEED_TABLE_COLUMNS = tuple(c for c in ABLATION_COLUMNS if c[1] == "ndcg_at_100")
ABLATION_HEADER = (
    "| row | "
    + " | ".join(c[0] for c in ABLATION_COLUMNS)
    + "".join(f" | btrnn_seed {c[0]}" for c in SEED_TABLE_COLUMNS)
    + " | train s | seeds |"
)


def ablation_line(name: str, result: EvaluationResult, seeds: int) -> str:
    """One Markdown row: BTRNN's mean ± std per metric, the seed table's NDCG@100, training
    seconds, seeds."""
    cells = []
    for model, columns in (("btrnn", ABLATION_COLUMNS), ("btrnn_seed", SEED_TABLE_COLUMNS)):
        summary, spread_of = result.summaries[model], result.spread.get(model, {})
        for _, attr, fmt in columns:
            cell = fmt.format(getattr(summary, attr))
            cells.append(cell + (" ± " + fmt.format(spread_of[attr]) if spread_of else ""))
    seconds = f"{np.mean(result.train_seconds):.0f}"
    return f"| {name} | " + " | ".join(cells) + f" | {seconds} | {seeds} |"


def run_ablation(base: EvaluationConfig, path: Path) -> Path:
    """Every row of an ablation file (YAML `rows: {name: {overrides}}`) as one Markdown table."""
    import yaml

    rows = yaml.safe_load(path.read_text())["rows"]
    table = base.report.parent / "ablation" / f"{path.stem}.md"
    table.parent.mkdir(parents=True, exist_ok=True)
    lines = [ABLATION_HEADER, "|" + " --- |" * (ABLATION_HEADER.count("|") - 1)]
    for name, config in ablation_rows(base, rows).items():
        print(f"=== ablation row: {name}")
        lines.append(ablation_line(name, run_evaluation(config), config.seeds))
        table.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return table
