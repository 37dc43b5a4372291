"""The paper's price check (section 3.2): do recommended items cost what customers buy?

The paper reports that the prices of BTRNN's recommended items deviate neither from (a) the
prices of the seed items the emails are sent from nor (b) the prices of all purchased items.
Here each recommender's recommended prices (the `eval_price_comparison` table) are compared with
both references by the two-sample Kolmogorov-Smirnov test: its statistic D, the largest gap
between the two cumulative distributions, is the size of the deviation (0: the same
distribution); with tens of thousands of prices even a small D is significant, so read D first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

REFERENCES = ("seed", "purchase")  # the paper's (a) and (b)


@dataclass(frozen=True)
class PriceComparison:
    """One recommender's recommended prices against one reference sample."""

    recommender: str
    reference: str
    recommended_median: float
    reference_median: float
    ks_statistic: float
    p_value: float
    recommended_prices: int  # recommended items with a price
    unpriced_share: float  # share of recommended items without a price

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def compare_prices(table: pd.DataFrame) -> list[PriceComparison]:
    """Each recommender against each reference, from rows (recommender, sample, price).

    Empty when no reference item has a price (a shop without prices): nothing to compare.
    """
    priced = table[table.price.notna()]
    references = {
        name: priced.price[priced["sample"] == name].to_numpy(np.float64) for name in REFERENCES
    }
    if any(len(prices) == 0 for prices in references.values()):
        return []
    recommended = table[table["sample"] == "recommended"]
    comparisons = []
    for recommender, rows in recommended.groupby("recommender", sort=True):
        prices = rows.price.dropna().to_numpy(np.float64)
        if not len(prices):
            continue
        for reference, reference_prices in references.items():
            test = stats.ks_2samp(prices, reference_prices)
            comparisons.append(
                PriceComparison(
                    recommender=str(recommender),
                    reference=reference,
                    recommended_median=float(np.median(prices)),
                    reference_median=float(np.median(reference_prices)),
                    ks_statistic=float(test.statistic),
                    p_value=float(test.pvalue),
                    recommended_prices=len(prices),
                    unpriced_share=float(rows.price.isna().mean()),
                )
            )
    return comparisons


def format_prices(comparisons: list[PriceComparison]) -> str:
    """The comparisons as a Markdown table (terminal, README)."""
    lines = [
        "| recommender | against | median recommended | median reference | KS D | p |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in comparisons:
        lines.append(
            f"| {c.recommender} | {c.reference} | {c.recommended_median:.2f} | "
            f"{c.reference_median:.2f} | {c.ks_statistic:.3f} | {c.p_value:.1e} |"
        )
    return "\n".join(lines)
