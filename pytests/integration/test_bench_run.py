"""Smoke test of `btrnn bench` on a tiny model through real Spark: the table's shape and sanity,
not its speed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from btrnn import cli
from btrnn.bench.report import COLUMNS

TOP_K = 5


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header cells and data rows of the '|'-separated table in the report."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("labels |"))
    header = [cell.strip() for cell in lines[start].split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append([cell.strip() for cell in line.split("|")])
    return header, rows


def test_bench_prints_a_table_with_positive_rates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state_before = os.environ.get("BTRNN_STATE_DIR")
    figures = tmp_path / "bench.json"
    argv = [
        "bench",
        "--out",
        str(figures),
        "--labels",
        "500,700",
        "--units",
        "16",
        "--items",
        "800",
        "--rows",
        "600",
        "--row-at-a-time-rows",
        "8",
        "--top-k",
        str(TOP_K),
        "--batch-size",
        "128",
        "--master",
        "local[2]",
        "--repeats",
        "1",
        "--matmul-size",
        "512",
    ]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out

    header, rows = _table(out)
    assert header == list(COLUMNS)
    assert [row[0] for row in rows] == ["500", "700"]
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        assert cells["rows"] == "600"
        assert cells["row rows"] == "8"
        for rate in ("batched rows/s", "row-at-a-time rows/s", "model GFLOP/s"):
            assert float(cells[rate]) > 0, rate
        assert float(cells["speed-up"].rstrip("x")) > 0
        assert float(cells["% of matmul"].rstrip("%")) > 0
        # Every user got exactly K recommendation rows from the batched path.
        assert cells["recs/user"] == str(TOP_K)
        # Loaded once per worker (local[2]: at most two), not per batch.
        assert 1 <= int(cells["loads"]) <= 2
    assert "machine rate" in out
    assert "benchmark took" in out
    assert os.environ.get("BTRNN_STATE_DIR") == state_before
    # The JSON: per |I'| the figures the printed table shows, and issue 7's targets for the
    # largest |I'|, each with its value.
    record = json.loads(figures.read_text())
    results = {r["labels"]: r for r in record["results"]}
    assert set(results) == {500, 700}
    for row in rows:
        result = results[int(row[0])]
        assert (
            f"{result['rows_per_s']:.1f}" == dict(zip(header, row, strict=True))["batched rows/s"]
        )
        assert result["roofline_share"] > 0 and result["loads"] == int(row[header.index("loads")])
        # item output (the default): (16 + 700) x 102 + 102 bias... weights of the whole model
        assert result["weights_bytes"] > 4 * 102 * result["labels"]
        # The scoring workers were found and measured: a Python worker with TensorFlow weighs
        # far more than this tiny model.
        assert result["peak_rss_per_worker_bytes"] > 100 * 2**20
        assert result["peak_rss_per_weights"] > 1
    assert {t["name"] for t in record["targets"]} == {
        "roofline_share",
        "speedup_over_row_at_a_time",
        "peak_rss_per_weights",
    }
    assert all(t["labels"] == 700 and t["value"] > 0 for t in record["targets"])
    assert record["machine"]["matmul_gflops"] > 0 and record["machine"]["cores"]
