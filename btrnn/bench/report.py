"""The benchmark's printed report: a header on the machine and the run, then one row per |I'|."""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

from btrnn.bench.machine import cpu_name, library_versions

if TYPE_CHECKING:
    from btrnn.bench.scoring import BenchReport

COLUMNS = (
    "labels",
    "rows",
    "warm-up s",
    "batched rows/s",
    "row rows",
    "row-at-a-time rows/s",
    "speed-up",
    "MFLOP/row",
    "model GFLOP/s",
    "% of matmul",
    "loads",
    "peak RSS MiB",
    "RSS/weights",
    "recs/user",
    "others' cores",
)


def _recs_cell(histogram: dict[int, int]) -> str:
    return "/".join(str(n) for n in sorted(histogram)) or "-"


def format_report(report: BenchReport) -> str:
    """The report as printed: header lines, warnings on a busy machine, the table, a legend."""
    config, machine = report.config, report.machine_gflops
    cpu = cpu_name()
    rates = "; ".join(
        f"{when}: numpy {rate.numpy_gflops:.1f}, tensorflow {rate.tensorflow_gflops:.1f}"
        for when, rate in zip(("before", "after"), report.matmul, strict=False)
    )
    load = ", ".join(f"{value:.2f}" for value in report.load_average)
    lines = [
        f"btrnn bench: scoring throughput on Spark {config.master} "
        f"({report.parallelism} task slots, {report.partitions} partitions), synthetic models",
        f"machine: {os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, python "
        f"{platform.python_version()}, {library_versions()}",
        f"model: LSTM({config.units}) -> LSTM({config.units}) -> "
        + ("Dense(102) -> " if config.output_layer == "item" else "")
        + f"Dense(|I'|), input (11, 102), {config.items} items; top-{config.top_k}; "
        f"Arrow batch {config.batch_size}",
        f"float32 matmul {config.matmul_size}x{config.matmul_size} GFLOP/s (best of "
        f"{config.matmul_repeats}) {rates}; machine rate = {machine:.1f} GFLOP/s",
        f"batched = score_users (mapInPandas); row-at-a-time = the paper's Python UDF, keras "
        f"model.{config.row_method} on one row; both warm, best of {config.repeats} passes",
        f"1-minute load average at start and end (end includes this run): {load}",
    ]
    busiest = max((r.others_cores + r.steal_cores for r in report.results), default=0.0)
    if busiest > 0.2 or report.load_average[0] > 0.5 * (os.cpu_count() or 1):
        lines.append(
            "WARNING: other processes used the CPUs during the run (others' cores up to "
            f"{busiest:.2f}); rates are low and noisy, rerun on a quiet machine"
        )
    tf_rates = [rate.tensorflow_gflops for rate in report.matmul]
    if max(tf_rates) > 1.2 * min(tf_rates):
        lines.append(
            "WARNING: the matmul rate moved by more than 20% during the run: the machine's speed "
            "drifted (other load, throttling); compare rows/s only within one quiet run"
        )
    lines.append("")
    table = [list(COLUMNS)]
    for r in report.results:
        table.append(
            [
                str(r.labels),
                str(r.rows),
                f"{r.warmup_s:.1f}",
                f"{r.batched_rows_per_s:.1f}",
                str(r.row_rows),
                f"{r.row_rows_per_s:.2f}",
                f"{r.speedup:.1f}x",
                f"{r.flops_per_row / 1e6:.1f}",
                f"{r.model_gflops:.4g}",
                f"{100 * r.model_gflops / machine:.3g}%",
                str(r.loads),
                f"{r.peak_rss_bytes / 2**20:.0f}" if r.peak_rss_bytes else "-",
                f"{r.rss_per_weights:.2f}" if r.peak_rss_bytes else "-",
                _recs_cell(r.recs_per_user),
                f"{r.others_cores + r.steal_cores:.2f}",
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    for row in table:
        lines.append(" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if row is table[0]:
            lines.append("-+-".join("-" * width for width in widths))
    lines += [
        "",
        "warm-up s: first batched pass over a few rows (model fetch, verify, load and tf.function "
        "tracing per worker); loads: model loads by the batched path over all workers;",
        "others' cores: average CPU cores used by other processes (plus hypervisor steal) while "
        "that row was measured;",
        "peak RSS: the largest lifetime peak of a Python worker that loaded the model (the "
        "batched path's, before the row-at-a-time UDF loads its own copy); RSS/weights: that "
        "over the model's float32 weights",
        f"benchmark took {report.elapsed_s:.1f} s"
        + (f"; figures and targets in {config.out}" if config.out else ""),
    ]
    return "\n".join(lines)
