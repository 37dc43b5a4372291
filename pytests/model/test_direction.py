"""The paper's Figure 2 behaviour on the generator's data: a baby grows up, never the reverse.

The sample's views are symmetric (customers browse their team's earlier stages too), its
purchases move forward through baby -> toddler -> youth -> adult. Word2Vec learns from the views
and recommends earlier stages; BTRNN learns from the order of purchases and should not.
"""

from __future__ import annotations

import pandas as pd
import pytest

from btrnn.generate import STAGES
from btrnn.runtime import PROJECT_ROOT

TOP = 10


@pytest.fixture(scope="module")
def stage_of() -> dict[int, int]:
    products = pd.read_csv(PROJECT_ROOT / "data" / "sample" / "products.csv")
    return {p: STAGES.index(c) for p, c in zip(products.product_id, products.category, strict=True)}


def _share(recs: pd.DataFrame, stage_of: dict[int, int], seed_stage: str, wanted) -> float:
    """Share of top-10 rows of seeds in `seed_stage` whose item's stage satisfies `wanted`."""
    top = recs[recs["rank"] <= TOP]
    seeds = top[top.seed_product_id.map(stage_of) == STAGES.index(seed_stage)]
    assert len(seeds) > 0
    return float(seeds.product_id.map(stage_of).map(wanted).mean())


def test_later_stage_seeds_do_not_lead_back(demo_run, stage_of):
    btrnn = demo_run.read("recs_bought_next_btrnn")
    word2vec = demo_run.read("recs_bought_next_word2vec")
    baby, youth = STAGES.index("baby"), STAGES.index("youth")
    btrnn_baby = _share(btrnn, stage_of, "youth", lambda s: s == baby)
    assert btrnn_baby <= 0.02, f"BTRNN puts baby items in {btrnn_baby:.1%} of youth seeds' top 10"
    # The contrast: Word2Vec, trained on the symmetric views, leads youth seeds back to earlier
    # stages (baby or toddler) at least twice as often. (Baby items alone: 8.9% with one
    # Word2Vec pass, 3.4% with five, whose vectors keep the stages further apart.)
    btrnn_earlier = _share(btrnn, stage_of, "youth", lambda s: s < youth)
    word2vec_earlier = _share(word2vec, stage_of, "youth", lambda s: s < youth)
    assert word2vec_earlier >= 0.1, f"Word2Vec leads back in only {word2vec_earlier:.1%}"
    assert word2vec_earlier >= 2 * max(btrnn_earlier, 0.01)


def test_early_stage_seeds_lead_forward(demo_run, stage_of):
    """Baby seeds lead on; toddler seeds lead back at most twice as often as the customers'
    own next purchases after a toddler item do (8% on the sample: another team's baby items).

    Measured on the sample (share of earlier stages in toddler seeds' top 10): 11-12% with seed
    windows, 17.8% with every-prefix windows alone, 0% with the paper's windows only because
    those lists were the same adult bestsellers for every seed (the test below catches that)."""
    btrnn = demo_run.read("recs_bought_next_btrnn")
    baby, toddler = STAGES.index("baby"), STAGES.index("toddler")
    later = _share(btrnn, stage_of, "baby", lambda s: s > baby)
    earlier_for_toddler = _share(btrnn, stage_of, "toddler", lambda s: s < toddler)
    assert later >= 0.5, f"only {later:.1%} of baby seeds' top 10 are later stages"
    pairs = demo_run.read("int_bought_next_pairs")
    after_toddler = pairs[pairs.seed_product_id.map(stage_of) == toddler]
    back = after_toddler.next_product_id.map(stage_of) < toddler
    customers = after_toddler.pair_count[back].sum() / after_toddler.pair_count.sum()
    assert earlier_for_toddler <= 2 * customers, (
        f"toddler seeds lead back in {earlier_for_toddler:.1%} of their top 10, "
        f"customers after a toddler item in {customers:.1%}"
    )


def test_each_stage_leads_to_its_own_next_step_not_one_list_for_all(demo_run, stage_of):
    """A flat seed table (the same bestsellers after every seed, all adult items) passes the
    shares above; here each stage's seeds must lead mostly to their own stage or the next one,
    with lists and probabilities that differ from seed to seed."""
    btrnn = demo_run.read("recs_bought_next_btrnn")
    btrnn = btrnn[(btrnn.recommender == "btrnn") & (btrnn["rank"] <= 5)]
    lists = btrnn.sort_values("rank").groupby("seed_product_id").product_id.apply(tuple)
    assert lists.value_counts().iloc[0] <= 0.05 * len(lists), "one top 5 for many seeds"
    top = btrnn[btrnn["rank"] == 1].score
    assert top.max() - top.min() > 0.05, "the same probability after every seed"
    for stage in STAGES[:-1]:
        own = STAGES.index(stage)
        share = _share(btrnn, stage_of, stage, lambda s, own=own: s in (own, own + 1))
        assert share >= 0.5, f"{stage} seeds lead to their own or the next stage in {share:.0%}"


def test_the_feed_of_a_customer_at_the_start_moves_forward(demo_run, stage_of):
    """Users who have bought baby items only: their feed's first step is not yet adult, and the
    steps move on through the stages."""
    histories = demo_run.read("int_purchase_histories")
    baby = STAGES.index("baby")
    starting = histories.user_id[
        histories.product_ids.map(lambda ids: all(stage_of.get(p) == baby for p in ids))
    ]
    assert len(starting) >= 20
    feed = demo_run.read("recs_feed_btrnn")
    firsts = feed[feed.user_id.isin(starting) & (feed["rank"] == 1)]
    stage = firsts.set_index("step").product_id.map(stage_of)
    by_step = stage.groupby(level=0).mean()
    adult = STAGES.index("adult")
    assert (stage[1] == adult).mean() < 0.5, "the first next order is already adult"
    assert by_step[5] >= by_step[1] + 0.5, f"the feed does not move forward: {by_step.to_dict()}"
