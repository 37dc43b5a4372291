"""Tests for btrnn.evaluation.report: the HTML file is complete, escaped and well-formed."""

import dataclasses
from html.parser import HTMLParser

import numpy as np
import pytest

from btrnn.evaluation.metrics import summarize
from btrnn.evaluation.report import write_report

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class _Balance(HTMLParser):
    """Tracks open tags; records any end tag that does not close the innermost open one."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _ranks(seed: int, scale: float, users: int = 300, candidates: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.geometric(1 / scale, size=users), 1, candidates)


@pytest.fixture()
def report(tmp_path):
    ranks = {"btrnn": _ranks(0, 20), "popularity": _ranks(1, 300), "co<occ>": _ranks(2, 100)}
    path = write_report(
        tmp_path / "sub" / "report.html",
        ranks,
        2000,
        {"epochs": 3, "note": "<script>alert(1)</script>"},
        title="eval & check",
    )
    html = path.read_text(encoding="utf-8")
    parser = _Balance()
    parser.feed(html)
    parser.close()
    return html, parser


def test_report_is_written_and_well_formed(report):
    html, parser = report
    assert parser.errors == []
    assert parser.stack == []
    assert parser.counts["svg"] == 2
    assert parser.counts["polyline"] >= 2 * 4  # three models + random, per plot
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing external
    assert "<script" not in html.lower()


def test_report_has_a_summary_row_per_model_and_the_gate(report):
    html, parser = report
    first_cells = [row[0] for row in parser.rows if row]
    for model in ("btrnn", "popularity", "co<occ>"):  # summary + percentile table
        assert sum(cell.endswith(model) for cell in first_cells) == 2
    assert "co&lt;occ&gt;" in html
    assert "Release gate: PASS: btrnn ndcg_at_100" in html
    assert "best baseline co&lt;occ&gt;" in html


def test_report_escapes_parameters_and_title(report):
    html, parser = report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>eval &amp; check</title>" in html
    assert ["note", "<script>alert(1)</script>"] in parser.rows


def test_report_gate_failure_and_missing_candidate(tmp_path):
    weak = {"btrnn": _ranks(0, 500), "popularity": _ranks(1, 20)}
    html = write_report(tmp_path / "a.html", weak, 2000, {}).read_text()
    assert "Release gate: FAIL: btrnn" in html and 'class="fail"' in html
    alone = write_report(tmp_path / "b.html", {"pop": _ranks(1, 20)}, 2000, {}).read_text()
    assert "Release gate not evaluated" in alone
    with pytest.raises(ValueError):
        write_report(tmp_path / "c.html", {}, 2000, {})


def test_report_shows_the_runs_own_figures(tmp_path):
    """The report prints the summaries it is given (the JSON's), not figures of its own."""
    ranks = {"btrnn": _ranks(0, 20), "popularity": _ranks(1, 300)}
    run = {name: summarize(r, 2000, seed=42) for name, r in ranks.items()}
    run["btrnn"] = dataclasses.replace(run["btrnn"], ndcg_at_100=0.777, wilcoxon_p_value=0.0123)
    html = write_report(tmp_path / "r.html", ranks, 2000, {}, run).read_text()
    assert "0.777" in html and "0.0123" in html
