"""Unit tests for btrnn.bench.growth: the fitted exponent and the written report."""

import json

import pytest

from btrnn.bench.growth import STAGES, fit_exponent, main, write_report


def test_fit_exponent_recovers_known_powers():
    factors = [1, 4, 16]
    assert fit_exponent(factors, [3.0 * f for f in factors]) == pytest.approx(1.0)
    assert fit_exponent(factors, [2.0 * f**1.5 for f in factors]) == pytest.approx(1.5)
    assert fit_exponent(factors, [5.0, 5.0, 5.0]) == pytest.approx(0.0, abs=1e-12)


def _size(factor: int) -> dict:
    seconds = {"generate": 0.5 * factor, "data_layer": 40 + factor, "train_slice": 10.0 * factor}
    return {
        "factor": factor, "users": 2000 * factor, "items": 500 * factor,
        "purchases": 9000 * factor, "windows": 7000 * factor, "train_steps": 7 * factor,
        "epoch_steps": 28 * factor, "projected_epoch_seconds": 40.0 * factor,
        "seconds": {**seconds, "scoring": 30 + 2 * factor},
    }  # fmt: skip


def test_report_is_written_as_json_markdown_and_svg(tmp_path):
    sizes = [_size(f) for f in (1, 4, 16)]
    report = {
        "at": "2026-12-02T00:00:00+00:00",
        "machine": {
            "cores": 2, "cpu": "a CPU", "flags": ["avx2", "fma"], "versions": "numpy 2",
            "float32_matmul_gflops": {"numpy_gflops": 100.0, "tensorflow_gflops": 90.0},
        },
        "sizes": sizes,
        "growth_exponent": {"generate": 1.0, "data_layer": 0.1, "train_slice": 1.0,
                            "projected_epoch": 1.0, "scoring": 0.2},
    }  # fmt: skip
    out = tmp_path / "reports" / "bench-scale"
    write_report(report, out)
    assert json.loads(out.with_suffix(".json").read_text())["sizes"][2]["users"] == 32000
    table = out.with_suffix(".md").read_text()
    assert "| 16x | 32,000 | 8,000 |" in table and "| growth exponent b |" in table
    assert "avx2, fma" in table
    svg = out.with_suffix(".svg").read_text()
    assert svg.startswith("<svg") and all(stage in svg for stage in STAGES)


def test_bad_options_are_refused(capsys):
    assert main(["--factors", "0,4"]) == 2
    assert main(["--train-slice", "1.5"]) == 2
    assert "--factors" in capsys.readouterr().err
