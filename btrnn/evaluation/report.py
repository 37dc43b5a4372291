"""One self-contained HTML evaluation report: summary table, release gate, inline SVG plots.

No external JS, CSS or fonts: the file opens offline and without the warehouse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from html import escape
from pathlib import Path

import numpy as np

from btrnn.evaluation.metrics import (
    HIGHER_IS_BETTER,
    GateVerdict,
    RankSummary,
    hit_rate_curve,
    log_ks,
    release_gate,
    summarize,
)
from btrnn.evaluation.prices import PriceComparison

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
RANDOM_COLOUR = "#555555"
PERCENTILES = (10, 25, 50, 75, 90)
HISTOGRAM_BINS = 20

_WIDTH, _HEIGHT = 640, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 170, 20, 52

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
td.best { background: #d9f2d9; font-weight: bold; }
.pass { color: #1a7f1a; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
.note { color: #666; font-size: 0.85em; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; }
"""


def _fmt_summary(name: str, value: float) -> str:
    """How one RankSummary field reads in the table."""
    if name in ("users", "candidates"):
        return f"{int(value):,}"
    if name == "mean_rank_percentile":
        return f"{100 * value:.1f}%"
    if name in ("mean_rank", "median_rank"):
        return f"{value:,.1f}"
    if name == "wilcoxon_statistic":
        return f"{value:.4g}"
    if name == "wilcoxon_p_value":
        return f"{value:.3g}"
    return f"{value:.3f}"


def _summary_table(summaries: Mapping[str, RankSummary], colours: Mapping[str, str]) -> str:
    """One row per model; the best value of each quality column is highlighted."""
    names = [f.name for f in fields(RankSummary)]
    best: dict[str, float] = {}
    for name, higher in HIGHER_IS_BETTER.items():
        values = [getattr(s, name) for s in summaries.values()]
        best[name] = max(values) if higher else min(values)
    head = "".join(f"<th>{escape(n)}</th>" for n in ["model", *names])
    rows = []
    for model, summary in summaries.items():
        cells = [f'<td><span style="color:{colours[model]}">&#9632;</span> {escape(model)}</td>']
        for name in names:
            value = getattr(summary, name)
            css = ' class="best"' if name in best and value == best[name] else ""
            cells.append(f"<td{css}>{escape(_fmt_summary(name, value))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _percentile_table(ranks_by_model: Mapping[str, np.ndarray]) -> str:
    """p10..p90 of the target rank per model (lower is better)."""
    head = "".join(f"<th>p{p}</th>" for p in PERCENTILES)
    rows = []
    for model, ranks in ranks_by_model.items():
        values = np.percentile(np.asarray(ranks), PERCENTILES)
        cells = "".join(f"<td>{v:,.1f}</td>" for v in values)
        rows.append(f"<tr><td>{escape(model)}</td>{cells}</tr>")
    return (
        f"<table><thead><tr><th>model</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _price_table(prices: Sequence[PriceComparison] | None) -> str:
    """The paper's price check: each recommender's recommended prices against the references."""
    if prices is None:
        return '<p class="note">Not run.</p>'
    if not prices:
        return '<p class="note">No prices in this data (products.price, orders unit_price).</p>'
    head = (
        "<th>recommender</th><th>against</th><th>median recommended</th><th>median reference</th>"
        "<th>KS D</th><th>p</th><th>priced items</th><th>unpriced share</th>"
    )
    rows = "".join(
        f"<tr><td>{escape(c.recommender)}</td><td>{escape(c.reference)}</td>"
        f"<td>{c.recommended_median:,.2f}</td><td>{c.reference_median:,.2f}</td>"
        f"<td>{c.ks_statistic:.3f}</td><td>{c.p_value:.3g}</td>"
        f"<td>{c.recommended_prices:,}</td><td>{100 * c.unpriced_share:.1f}%</td></tr>"
        for c in prices
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _parameter_table(parameters: Mapping[str, object]) -> str:
    """The run's parameters, as given, one row each."""
    if not parameters:
        return '<p class="note">No parameters recorded.</p>'
    rows = "".join(
        f"<tr><td>{escape(str(key))}</td><td style='text-align:left'>{escape(str(value))}</td></tr>"
        for key, value in parameters.items()
    )
    head = "<thead><tr><th>parameter</th><th>value</th></tr></thead>"
    return f"<table>{head}<tbody>{rows}</tbody></table>"


def _polyline(points: Sequence[tuple[float, float]], colour: str, dashed: bool = False) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'


def svg_chart(
    title: str,
    x_label: str,
    y_label: str,
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[tuple[float, str]],
    series: Sequence[tuple[str, str, Sequence[tuple[float, float]], bool]],
) -> str:
    """Axes, ticks, labels, one polyline per series and a legend; data in unit coordinates [0,1]."""
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM

    def px(x: float) -> float:
        return _LEFT + x * plot_w

    def py(y: float) -> float:
        return _TOP + (1 - y) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#999"/>',
    ]
    for x, label in x_ticks:
        parts.append(
            f'<line x1="{px(x):.1f}" y1="{_TOP}" x2="{px(x):.1f}" y2="{_TOP + plot_h}" '
            'stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{px(x):.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for y, label in y_ticks:
        parts.append(
            f'<line x1="{_LEFT}" y1="{py(y):.1f}" x2="{_LEFT + plot_w}" y2="{py(y):.1f}" '
            'stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_HEIGHT - 10}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text x="16" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    legend_x = _LEFT + plot_w + 14
    for i, (name, colour, points, dashed) in enumerate(series):
        parts.append(_polyline([(px(x), py(y)) for x, y in points], colour, dashed))
        y = _TOP + 10 + 18 * i
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        parts.append(
            f'<line x1="{legend_x}" y1="{y}" x2="{legend_x + 22}" y2="{y}" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        parts.append(f'<text x="{legend_x + 28}" y="{y + 4}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _hit_rate_svg(
    ranks_by_model: Mapping[str, np.ndarray], n_candidates: int, colours: Mapping[str, str]
) -> str:
    """HR@K against K on a log axis from 1 to n_candidates, with random ranking for reference."""
    ks = log_ks(n_candidates, points=80)
    log_max = math.log10(n_candidates) or 1.0

    def x_of(k: float) -> float:
        return math.log10(k) / log_max

    xs = [x_of(k) for k in ks]
    series = [
        (
            name,
            colours[name],
            list(zip(xs, hit_rate_curve(r, n_candidates, ks), strict=True)),
            False,
        )
        for name, r in ranks_by_model.items()
    ]
    series.append(("random", RANDOM_COLOUR, [(x_of(k), k / n_candidates) for k in ks], True))
    x_ticks = [(x_of(10**e), f"{10**e:,}") for e in range(int(math.log10(n_candidates)) + 1)]
    y_ticks = [(v / 5, f"{v / 5:.1f}") for v in range(6)]
    return svg_chart(
        "Hit rate at K", "K (log scale)", "HR@K (share of users)", x_ticks, y_ticks, series
    )


def _rank_distribution_svg(
    ranks_by_model: Mapping[str, np.ndarray], n_candidates: int, colours: Mapping[str, str]
) -> str:
    """Share of users per rank-percentile bin, drawn as steps; random ranking is flat."""
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    shares = {
        name: np.histogram(np.asarray(r) / n_candidates, bins=edges)[0] / len(r)
        for name, r in ranks_by_model.items()
    }
    top = max(1.0 / HISTOGRAM_BINS, *(float(s.max()) for s in shares.values()))
    top = math.ceil(top * 10) / 10

    def steps(values: np.ndarray) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for i, v in enumerate(values):
            points += [(edges[i], v / top), (edges[i + 1], v / top)]
        return points

    series = [(name, colours[name], steps(s), False) for name, s in shares.items()]
    series.append(
        ("random", RANDOM_COLOUR, steps(np.full(HISTOGRAM_BINS, 1 / HISTOGRAM_BINS)), True)
    )
    x_ticks = [(v / 5, f"{20 * v}%") for v in range(6)]
    y_ticks = [(v / 5, f"{top * v / 5:.2f}") for v in range(6)]
    return svg_chart(
        "Rank distribution",
        f"rank percentile (rank / candidates, {HISTOGRAM_BINS} bins)",
        "share of users",
        x_ticks,
        y_ticks,
        series,
    )


def _gate_html(
    summaries: Mapping[str, RankSummary], candidate: str, verdict: GateVerdict | None
) -> str:
    """The release-gate verdict as one line, or why it could not be evaluated."""
    try:
        verdict = verdict or release_gate(summaries, candidate=candidate)
    except ValueError as error:
        return f'<p class="fail">Release gate not evaluated: {escape(str(error))}</p>'
    css = "pass" if verdict.passed else "fail"
    return f'<p class="{css}">Release gate: {escape(verdict.message)}</p>'


def write_report(
    path: Path,
    ranks_by_model: Mapping[str, np.ndarray],
    n_candidates: int,
    parameters: Mapping[str, object],
    summaries: Mapping[str, RankSummary] | None = None,
    title: str = "btrnn evaluation",
    candidate: str = "btrnn",
    gate: GateVerdict | None = None,
    prices: Sequence[PriceComparison] | None = None,
) -> Path:
    """Write the evaluation of every model's target ranks as one self-contained HTML file.

    `summaries` are the run's own figures (the evaluation's seed, its mean over seeds), so the
    report shows exactly what the JSON holds; without them they are computed from the ranks.
    """
    if not ranks_by_model:
        raise ValueError("no models to report")
    computed = {name: summarize(r, n_candidates) for name, r in ranks_by_model.items()}
    summaries = {**computed, **(summaries or {})}
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ranks_by_model)}
    draw: list[tuple[str, Callable[..., str]]] = [
        ("Hit rate at K", _hit_rate_svg),
        ("Rank distribution", _rank_distribution_svg),
    ]
    plots = "\n".join(
        f"<h2>{escape(heading)}</h2>\n{fn(ranks_by_model, n_candidates, colours)}"
        for heading, fn in draw
    )
    body = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p class="note">Leave-last-out, full ranking over {n_candidates:,} candidates. Rank = 1 + candidates
scored strictly higher than the target. Wilcoxon: one-sided signed-rank test of the ranks against
uniform random ranks (small p = better than random). Highlighted: best value of each quality column.
</p>
{_gate_html(summaries, candidate, gate)}
<h2>Summary</h2>
{_summary_table(summaries, colours)}
{plots}
<h2>Rank percentiles</h2>
<p class="note">Target rank at the 10th..90th percentile of users (lower is better).</p>
{_percentile_table(ranks_by_model)}
<h2>Prices of recommended items (paper, section 3.2)</h2>
<p class="note">The prices of the items each recommender's published table recommends to the tested
users, against each tested user's seed (their last purchase) and against every purchase.
Two-sample Kolmogorov-Smirnov: D is the largest gap between the two cumulative distributions
(0 = identical); with this many prices even a small D has a small p, so read D first.</p>
{_price_table(prices)}
<h2>Parameters</h2>
{_parameter_table(parameters)}
</body>
</html>
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path
