"""Scoring throughput on Spark: the batched path against the paper's row-at-a-time UDF.

For each output vocabulary size |I'| a random-initialised model is published to a temporary
model store, so the real executor path runs (fetch, verify, load once per Python worker). Then
two jobs score synthetic users on one local Spark session:

- batched: `btrnn.scoring.score_users` (mapInPandas, Arrow batches, top-K of the logits in TF);
- row-at-a-time (the paper's Supplement 3): a plain Python UDF whose global Keras model is
  loaded once per worker and called with `model.predict` on one (1, 11, 102) row, followed by
  a numpy top-K over the full |I'| row.

Both get one untimed warm-up pass (model load and tracing happen on a worker's first use), then
the best of a few timed passes is reported. The machine's float32 matmul rate is measured before
and after, so the model FLOP/s achieved can be put against it, and the CPU that other processes
used meanwhile is reported (btrnn.bench.machine). It checks only that every user got K rows.
TensorFlow, Keras and Spark are imported where used, so `btrnn`'s parser stays quick to build.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from btrnn.bench.machine import CpuMeter, MatmulRate, cpu_flags, cpu_name, measure_matmul

if TYPE_CHECKING:
    from btrnn.model import ModelConfig

DEFAULT_LABELS = (10_000, 137_667, 400_000)  # a small catalogue, the paper's |I'| and its 0.4M
OUTPUT_LAYERS = ("item", "dense")  # btrnn train's default (--item-output) and the paper's
# Default rows per |I'|: enough model work for a stable rate, a few minutes in all on 2 cores.
_ROW_BUDGET_FLOP = 1.5e12
_clock = {"start": time.perf_counter()}  # progress lines count from the run's start


@dataclass(frozen=True)
class BenchConfig:
    """What one benchmark run measures; rows=None picks a count per |I'| from a FLOP budget."""

    labels: tuple[int, ...] = DEFAULT_LABELS
    rows: tuple[int, ...] | None = None
    row_at_a_time_rows: tuple[int, ...] = (200, 100, 50)
    units: int = 600
    output_layer: str = "item"  # item: LSTM -> Dense(102) -> Dense(|I'|); dense: the paper's
    items: int = 20_000
    batch_size: int = 1024
    top_k: int = 20
    master: str = "local[2]"
    partitions: int | None = None  # default: 2 per task slot
    row_method: str = "predict"  # or "predict_on_batch" (Keras' cheaper one-batch call)
    tf_threads: int | None = None  # TF intra-op threads per worker; None: TF's default
    repeats: int = 2  # timed passes per path and |I'|; the best is reported
    matmul_size: int = 2048
    matmul_repeats: int = 5
    seed: int = 0
    out: Path | None = Path("reports/bench-scoring.json")

    def model(self, labels: int) -> ModelConfig:
        from btrnn.model import ModelConfig

        space = ModelConfig.feature_length if self.output_layer == "item" else 0
        return ModelConfig(n_labels=labels, units=self.units, output_space=space)

    def rows_for(self, position: int, model: ModelConfig) -> int:
        from btrnn.model import flops_per_row

        if self.rows is not None:
            return _pick(self.rows, position)
        budget = round(_ROW_BUDGET_FLOP / flops_per_row(model), -3)
        return int(min(50_000, max(1_000, budget)))

    def row_at_a_time_rows_for(self, position: int) -> int:
        return _pick(self.row_at_a_time_rows, position)


def _pick(values: Sequence[int], position: int) -> int:
    """The value for the position-th |I'|; a shorter list repeats its last value."""
    return int(values[min(position, len(values) - 1)])


@dataclass(frozen=True)
class LabelResult:
    """One |I'|'s measurements."""

    labels: int
    flops_per_row: float
    rows: int
    warmup_s: float
    batched_s: tuple[float, ...]  # each timed pass
    recs_per_user: dict[int, int]  # recommendation rows per user -> users with that many
    loads: int  # model loads on the batched path, over all workers (one per worker expected)
    row_rows: int
    row_warmup_s: float
    row_s: tuple[float, ...]
    row_recs: tuple[int, int]  # min and max top-K length returned by the UDF
    others_cores: float = 0.0  # average cores other processes used meanwhile
    steal_cores: float = 0.0
    weights_bytes: int = 0  # the model's weights, float32
    peak_rss_bytes: int = 0  # the largest peak RSS of a Python worker that loaded this model

    @property
    def batched_rows_per_s(self) -> float:
        return self.rows / min(self.batched_s)

    @property
    def row_rows_per_s(self) -> float:
        return self.row_rows / min(self.row_s)

    @property
    def speedup(self) -> float:
        return self.batched_rows_per_s / self.row_rows_per_s

    @property
    def model_gflops(self) -> float:
        return self.batched_rows_per_s * self.flops_per_row / 1e9

    @property
    def rss_per_weights(self) -> float:
        return self.peak_rss_bytes / self.weights_bytes if self.weights_bytes else 0.0


@dataclass
class BenchReport:
    config: BenchConfig
    matmul: list[MatmulRate]  # measured before the Spark work and after it
    load_average: list[float]  # 1-minute load average at the start and at the end
    results: list[LabelResult] = field(default_factory=list)
    parallelism: int = 0
    partitions: int = 0
    elapsed_s: float = 0.0

    @property
    def machine_gflops(self) -> float:
        """The best float32 matmul rate seen: the denominator of '% of matmul'."""
        return max(rate.best_gflops for rate in self.matmul)

    def as_json(self) -> dict[str, Any]:
        """The run as a JSON-ready dict: per |I'| the rates and shares issue 7's targets name,
        each target with its measured value and whether it is met."""
        machine = self.machine_gflops
        per_labels = []
        for r in self.results:
            per_labels.append(
                {
                    "labels": r.labels,
                    "rows": r.rows,
                    "rows_per_s": r.batched_rows_per_s,
                    "row_at_a_time_rows_per_s": r.row_rows_per_s,
                    "speedup": r.speedup,
                    "flops_per_row": r.flops_per_row,
                    "model_gflops": r.model_gflops,
                    "roofline_share": r.model_gflops / machine,
                    "weights_bytes": r.weights_bytes,
                    "peak_rss_per_worker_bytes": r.peak_rss_bytes,
                    "peak_rss_per_weights": r.rss_per_weights,
                    "loads": r.loads,
                    "others_cores": r.others_cores + r.steal_cores,
                }
            )
        largest = max(self.results, key=lambda r: r.labels, default=None)
        targets = []
        if largest is not None:
            for name, value, bound, higher in (
                ("roofline_share", largest.model_gflops / machine, 0.7, True),
                ("speedup_over_row_at_a_time", largest.speedup, 20.0, True),
                ("peak_rss_per_weights", largest.rss_per_weights, 1.5, False),
            ):
                met = value >= bound if higher else 0 < value <= bound
                targets.append(
                    {"labels": largest.labels, "name": name, "value": value, "bound": bound,
                     "met": met}
                )  # fmt: skip
        return {
            "machine": {
                "cpu": cpu_name(),
                "cpu_flags": cpu_flags(),
                "cores": os.cpu_count(),
                "matmul": [asdict(rate) for rate in self.matmul],
                "matmul_gflops": machine,
            },
            "config": {k: v for k, v in asdict(self.config).items() if k != "out"},
            "results": per_labels,
            "targets": targets,
            "elapsed_s": self.elapsed_s,
        }

    def failures(self) -> list[str]:
        """Results that are wrong, not slow: users without exactly K recommendations."""
        k = self.config.top_k
        problems = []
        for result in self.results:
            if result.recs_per_user != {k: result.rows}:
                problems.append(
                    f"|I'|={result.labels}: batched rows per user {result.recs_per_user}"
                )
            if result.row_recs != (k, k):
                problems.append(
                    f"|I'|={result.labels}: row-at-a-time top-K lengths {result.row_recs}"
                )
        return problems


def _progress(message: str) -> None:
    elapsed = time.perf_counter() - _clock["start"]
    print(f"[bench {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- synthetic data


def synthetic_items(n_items: int, feature_length: int, seed: int) -> Any:
    """Item ids 1..n with random vectors, each flagged as having one (features.FLAG = 1.0)."""
    from btrnn.items import FLAG, ItemTable

    rng = np.random.default_rng(seed)
    features = 0.1 * rng.standard_normal((n_items, feature_length), dtype=np.float32)
    features[:, FLAG] = 1.0
    return ItemTable.from_rows(np.arange(1, n_items + 1, dtype=np.int64), features)


def publish_synthetic(
    store: Any, work: Path, model: ModelConfig, items: Any, seed: int
) -> tuple[str, int]:
    """A random-initialised bundle for `model`, published as version bench-<labels>-u<units>;
    returns the version and the bytes of its weights."""
    import keras

    from btrnn.bundle import ModelBundle
    from btrnn.model import build_model

    keras.utils.set_random_seed(seed)
    network = build_model(model)
    bundle = ModelBundle(
        config=model,
        labels=np.arange(1, model.n_labels + 1, dtype=np.int64),  # I': synthetic product ids
        items=items,
        metadata={"synthetic": True, "purpose": "btrnn bench"},
    )
    folder = work / f"bundle-{model.n_labels}"
    bundle.write(folder, network)
    version = store.publish(folder, version=f"bench-{model.n_labels}-u{model.units}")
    shutil.rmtree(folder)
    weights_bytes = sum(int(weight.nbytes) for weight in network.get_weights())
    del network
    keras.backend.clear_session()
    return version, weights_bytes


def synthetic_inputs(spark: Any, rows: int, items: Any, partitions: int, seed: int) -> Any:
    """Cached users with 1..11 purchases each, left-padded with 0 to 11 ids."""
    rng = np.random.default_rng(seed)
    length = 11
    ids = rng.choice(items.item_ids, size=(rows, length))
    history = rng.integers(1, length + 1, size=rows)
    ids[np.arange(length)[None, :] < (length - history)[:, None]] = 0
    data = list(zip(range(1, rows + 1), ids.tolist(), strict=True))
    frame = spark.createDataFrame(data, "user_id bigint, input_product_ids array<bigint>")
    frame = frame.repartition(partitions).cache()
    frame.count()
    return frame


# --------------------------------------------------------------------------- the paper's method

_ROW_MODELS: dict[tuple[str, str], tuple[Any, Any, np.ndarray]] = {}


def _row_model(model_uri: str, version: str) -> tuple[Any, Any, np.ndarray]:
    """The paper's `__MODEL__` global: fetched and loaded on a worker's first row only."""
    key = (model_uri, version)
    if key not in _ROW_MODELS:
        _ROW_MODELS.clear()  # one model per worker, as the batched path keeps
        from btrnn.artifacts import ModelStore
        from btrnn.bundle import ModelBundle
        from btrnn.scoring import model_cache_root

        folder = ModelStore.from_uri(model_uri).fetch(version, model_cache_root())
        bundle = ModelBundle.read(folder)
        _ROW_MODELS[key] = (bundle.load_model(folder), bundle.items, bundle.labels)
    return _ROW_MODELS[key]


def predict_one_row(
    input_product_ids: list[int], model_uri: str, version: str, k: int, method: str
) -> list[int]:
    """Top-K product ids for one user: one Keras call on a (1, 11, 102) array, numpy top-K."""
    model, items, labels = _row_model(model_uri, version)
    x = items.matrix[items.rows_of(np.asarray(input_product_ids, dtype=np.int64))][None]
    scores = (model.predict(x, verbose=0) if method == "predict" else model.predict_on_batch(x))[0]
    top = np.argpartition(-scores, k - 1)[:k]
    return labels[top[np.argsort(-scores[top], kind="stable")]].tolist()


def _row_at_a_time(
    frame: Any, model_uri: str, version: str, k: int, method: str
) -> tuple[int, int]:
    """Run the row UDF over every row; (min, max) length of what it returned."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, LongType

    udf = F.udf(
        functools.partial(
            predict_one_row, model_uri=model_uri, version=version, k=k, method=method
        ),
        ArrayType(LongType()),
        useArrow=False,  # pickled rows, one Python call per row: the paper's withColumn UDF
    )
    scored = frame.withColumn("recs", udf("input_product_ids"))
    row = scored.agg(F.min(F.size("recs")), F.max(F.size("recs"))).collect()[0]
    return int(row[0]), int(row[1])


# --------------------------------------------------------------------------- the batched path


def _batched(frame: Any, settings: Any) -> dict[int, int]:
    """Score every user through score_users; histogram of recommendation rows per user."""
    from pyspark.sql import functions as F

    from btrnn.scoring import score_users

    scored = score_users(frame, settings, datetime.now(UTC))
    per_user = scored.groupBy("user_id").agg(F.count("*").alias("recs"))
    histogram = per_user.groupBy("recs").count().collect()
    return {int(row["recs"]): int(row["count"]) for row in histogram}


def _loaders(log: Path, version: str) -> list[int]:
    """The pids of the Python workers that loaded `version` on the batched path."""
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [entry["pid"] for entry in entries if entry["version"] == version]


def _peak_rss(spark: Any, slots: int, pids: Sequence[int]) -> int:
    """The largest lifetime peak RSS (bytes) among the Python workers `pids`, asked by a probe
    job of the same kind as scoring (mapInPandas) over every task slot: Spark hands its tasks to
    the idle Python workers that just scored. 0 when no probe reached one of them."""
    import pandas as pd

    def probe(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import os
        import resource

        for _ in batches:
            pass
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        yield pd.DataFrame({"pid": [os.getpid()], "peak": [peak]})

    tasks = 4 * slots
    frame = spark.range(tasks).repartition(tasks)
    found = frame.mapInPandas(probe, "pid long, peak long").collect()
    return max((row["peak"] for row in found if row["pid"] in set(pids)), default=0)


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = run()
    return value, time.perf_counter() - start


# --------------------------------------------------------------------------- the run


@contextmanager
def _isolated_env(root: Path) -> Iterator[dict[str, str]]:
    """Point the Spark state and the model cache at a scratch folder; restore afterwards."""
    keys = ("BTRNN_STATE_DIR", "BTRNN_MODEL_CACHE")
    saved = {key: os.environ.get(key) for key in keys}
    env = {"BTRNN_STATE_DIR": str(root / "state"), "BTRNN_MODEL_CACHE": str(root / "cache")}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_benchmark(config: BenchConfig) -> BenchReport:
    """Measure the matmul rate, then batched and row-at-a-time scoring for every |I'|."""
    if os.environ.get("SPARK_REMOTE"):
        raise SystemExit("btrnn bench measures an embedded local Spark: unset SPARK_REMOTE")
    started = _clock["start"] = time.perf_counter()
    report = BenchReport(config, [_matmul(config)], [os.getloadavg()[0]])
    with tempfile.TemporaryDirectory(prefix="btrnn-bench-") as scratch:
        root = Path(scratch)
        with _isolated_env(root) as env:
            _run_spark(config, report, root, env)
    report.matmul.append(_matmul(config))  # again: the machine's speed can drift meanwhile
    report.load_average.append(os.getloadavg()[0])
    report.elapsed_s = time.perf_counter() - started
    if config.out is not None:
        config.out.parent.mkdir(parents=True, exist_ok=True)
        config.out.write_text(json.dumps(report.as_json(), indent=2, default=str))
        _progress(f"figures written to {config.out}")
    return report


def _matmul(config: BenchConfig) -> MatmulRate:
    size = config.matmul_size
    _progress(f"float32 matmul {size}x{size}, best of {config.matmul_repeats}")
    rate = measure_matmul(size, config.matmul_repeats)
    _progress(
        f"matmul: numpy {rate.numpy_gflops:.1f} GFLOP/s, "
        f"tensorflow {rate.tensorflow_gflops:.1f} GFLOP/s"
    )
    return rate


def _run_spark(config: BenchConfig, report: BenchReport, root: Path, env: dict[str, str]) -> None:
    from pyspark.sql import SparkSession

    from btrnn.artifacts import ModelStore
    from btrnn.model import ModelConfig
    from btrnn.scoring import LOAD_LOG_ENV, ScoringSettings
    from btrnn.spark import get_session

    reused = SparkSession.getActiveSession() is not None
    _progress(f"Spark session on {config.master}" + (" (reusing the active one)" if reused else ""))
    spark = get_session("btrnn-bench", master=config.master)
    context = spark.sparkContext
    load_log = root / "loads.jsonl"
    # Passed with every Python function, so workers see them even in an already running JVM.
    worker_env = {**env, LOAD_LOG_ENV: str(load_log)}
    if config.tf_threads:
        worker_env["TF_NUM_INTRAOP_THREADS"] = str(config.tf_threads)
    saved_env = dict(context.environment)
    context.environment.update(worker_env)
    try:
        report.parallelism = context.defaultParallelism
        report.partitions = config.partitions or 2 * report.parallelism
        store = ModelStore.from_uri(root / "store")
        items = synthetic_items(config.items, ModelConfig.feature_length, config.seed)
        for position, labels in enumerate(config.labels):
            model = config.model(labels)
            _progress(f"|I'|={labels}: building and publishing a random-initialised model")
            version, weights_bytes = publish_synthetic(store, root, model, items, config.seed)
            settings = ScoringSettings(store.uri, version, config.top_k, config.batch_size)
            result = _bench_labels(
                spark, config, report, position, model, items, settings, load_log
            )
            report.results.append(replace(result, weights_bytes=weights_bytes))
    finally:
        context.environment.clear()
        context.environment.update(saved_env)
        if not reused:
            spark.stop()


def _bench_labels(
    spark: Any,
    config: BenchConfig,
    report: BenchReport,
    position: int,
    model: ModelConfig,
    items: Any,
    settings: Any,
    load_log: Path,
) -> LabelResult:
    from btrnn.model import flops_per_row

    labels, version, k = model.n_labels, settings.model_version, config.top_k
    rows = config.rows_for(position, model)
    row_rows = config.row_at_a_time_rows_for(position)
    seed = config.seed + position
    meter = CpuMeter()
    warm_rows = report.parallelism * min(config.batch_size, 256)
    warm = synthetic_inputs(spark, warm_rows, items, report.parallelism, seed + 100)
    inputs = synthetic_inputs(spark, rows, items, report.partitions, seed)
    few = synthetic_inputs(spark, row_rows, items, report.parallelism, seed + 200)

    _progress(f"|I'|={labels}: batched warm-up, {warm_rows} rows (fetch + load + trace per worker)")
    _, warmup_s = _timed(lambda: _batched(warm, settings))
    batched_s, histograms = [], []
    for attempt in range(1, config.repeats + 1):
        _progress(f"|I'|={labels}: batched pass {attempt}, {rows} rows, {report.partitions} parts")
        histogram, seconds = _timed(lambda: _batched(inputs, settings))
        _progress(f"|I'|={labels}: batched {rows / seconds:.1f} rows/s")
        batched_s.append(seconds)
        histograms.append(histogram)
    # Every pass must give every user K rows; a disagreement shows up as a failure.
    recs_per_user = histograms[0] if all(h == histograms[0] for h in histograms) else {}
    # Before the row-at-a-time UDF loads its own copy into the same workers.
    loaders = _loaders(load_log, version)
    peak_rss = _peak_rss(spark, report.parallelism, loaders)
    _progress(f"|I'|={labels}: peak RSS of the scoring workers {peak_rss / 2**20:.0f} MiB")

    method = config.row_method
    tiny = synthetic_inputs(spark, 2 * report.parallelism, items, report.parallelism, seed + 300)
    _progress(f"|I'|={labels}: row-at-a-time warm-up (load the global model per worker)")
    _, row_warmup_s = _timed(lambda: _row_at_a_time(tiny, settings.model_uri, version, k, method))
    _progress(f"|I'|={labels}: row-at-a-time warm-up took {row_warmup_s:.1f} s")
    row_s, lengths = [], []
    for attempt in range(1, config.repeats + 1):
        _progress(f"|I'|={labels}: row-at-a-time ({method}) pass {attempt}, {row_rows} rows")
        found, seconds = _timed(lambda: _row_at_a_time(few, settings.model_uri, version, k, method))
        _progress(f"|I'|={labels}: row-at-a-time {row_rows / seconds:.2f} rows/s")
        row_s.append(seconds)
        lengths += found
    row_recs = (min(lengths), max(lengths))
    others, steal = meter.others()
    for frame in (warm, inputs, few, tiny):
        frame.unpersist()
    return LabelResult(
        labels=labels,
        flops_per_row=flops_per_row(model),
        rows=rows,
        warmup_s=warmup_s,
        batched_s=tuple(batched_s),
        recs_per_user=recs_per_user,
        loads=len(loaders),
        row_rows=row_rows,
        row_warmup_s=row_warmup_s,
        row_s=tuple(row_s),
        row_recs=row_recs,
        others_cores=others,
        steal_cores=steal,
        peak_rss_bytes=peak_rss,
    )
