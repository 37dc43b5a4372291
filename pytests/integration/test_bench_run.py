"""Smoke test of `btrnn bench` on a tiny model through real Spark: the table's shape and sanity,
not its speed."""

from __future__ import annotations

import os

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


def test_bench_prints_a_table_with_positive_rates(capsys: pytest.CaptureFixture[str]) -> None:
    state_before = os.environ.get("BTRNN_STATE_DIR")
    argv = [
        "bench",
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
