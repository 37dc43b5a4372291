"""Tests for btrnn.evaluation.prices: the paper's price check (section 3.2)."""

import numpy as np
import pandas as pd
import pytest

from btrnn.evaluation.prices import compare_prices, format_prices
from btrnn.evaluation.report import write_report


def _rows(recommender: str | None, sample: str, prices: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"recommender": recommender, "sample": sample, "product_id": 1, "price": prices}
    )


@pytest.fixture()
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    bought = rng.lognormal(2.0, 0.5, 4000)
    return pd.concat(
        [
            _rows(None, "purchase", bought),
            _rows(None, "seed", rng.lognormal(2.0, 0.5, 500)),
            _rows("alike", "recommended", rng.lognormal(2.0, 0.5, 2000)),
            # twice as dear, with a tenth of its items unpriced
            _rows("dear", "recommended", np.r_[rng.lognormal(2.7, 0.5, 1800), [np.nan] * 200]),
        ],
        ignore_index=True,
    )


def test_each_recommender_is_compared_with_both_references(table):
    comparisons = {(c.recommender, c.reference): c for c in compare_prices(table)}
    assert set(comparisons) == {(r, s) for r in ("alike", "dear") for s in ("seed", "purchase")}
    alike, dear = comparisons["alike", "purchase"], comparisons["dear", "purchase"]
    assert alike.ks_statistic < 0.06 and alike.p_value > 0.01
    assert dear.ks_statistic > 0.4 and dear.p_value < 1e-10
    assert dear.recommended_median == pytest.approx(np.exp(2.7), rel=0.1)
    assert dear.reference_median == pytest.approx(np.exp(2.0), rel=0.1)
    assert dear.recommended_prices == 1800 and dear.unpriced_share == pytest.approx(0.1)
    assert alike.unpriced_share == 0.0


def test_a_shop_without_prices_has_nothing_to_compare(table):
    assert compare_prices(table.assign(price=np.nan)) == []
    no_seed_prices = table.assign(price=table.price.where(table["sample"] != "seed"))
    assert compare_prices(no_seed_prices) == []


def test_the_report_and_the_terminal_show_the_comparison(table, tmp_path):
    comparisons = compare_prices(table)
    text = format_prices(comparisons)
    assert text.count("\n") == 1 + len(comparisons)
    assert "| dear | purchase |" in text
    ranks = {"alike": np.array([1, 5, 30])}
    html = write_report(tmp_path / "r.html", ranks, 100, {}, prices=comparisons).read_text()
    assert "Prices of recommended items" in html and "<td>dear</td><td>seed</td>" in html
    missing = write_report(tmp_path / "n.html", ranks, 100, {}, prices=[]).read_text()
    assert "No prices in this data" in missing
