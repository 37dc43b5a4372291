"""The main job on the bundled sample data: data layer, training, scoring, tests, a look."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pandas as pd

from btrnn.dbt_runner import DbtFailed, run_dbt
from btrnn.runtime import state_dir
from btrnn.train import TrainConfig, train_command
from btrnn.warehouse import default_model_uri, read_table, table_path

# The model spec's defaults, as `btrnn evaluate` judges them and `btrnn train` trains them
# (btrnn.spec): a couple of minutes on the sample on 2 cores.
DEMO_TRAINING = TrainConfig()
# The line each *_default view's build logs (macros/published_recommender.sql).
PUBLISHED_LINE = re.compile(r"(recs_\w+_default): publishing .*")
TABLES = (
    "recs_next_order_btrnn",
    "recs_bought_next_btrnn",
    "recs_feed_btrnn",
    "recs_bought_next_cooccurrence",
)


def _step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def _named(recs: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    return recs.merge(catalog[["product_id", "product_name", "category"]], on="product_id")


def first_customer_at_the_start(catalog: pd.DataFrame) -> int | None:
    """The lowest user id whose every purchase is a baby item: whose feed can show a life
    stage after another (None when the data has no such user)."""
    stage = catalog.set_index("product_id").category
    histories = read_table("int_purchase_histories")
    only_baby = histories.product_ids.map(lambda ids: all(stage.get(p) == "baby" for p in ids))
    users = histories.user_id[only_baby]
    return int(users.min()) if len(users) else None


def show_recommendations(top: int = 5) -> None:
    """Print a few seeds and what BTRNN says is bought next, with product names."""
    catalog = read_table("int_products_catalog")
    bought_next = _named(read_table("recs_bought_next_btrnn"), catalog)
    btrnn = bought_next[bought_next.recommender == "btrnn"]
    seeds = catalog[catalog.product_id.isin(btrnn.seed_product_id)]
    for category in ("baby", "youth"):
        candidates = seeds[seeds.category == category].sort_values("purchase_count")
        if candidates.empty:
            continue
        seed = candidates.iloc[-1]
        rows = btrnn[btrnn.seed_product_id == seed.product_id].sort_values("rank").head(top)
        print(f"\nBought next after  {seed.product_name}  ({seed.category}):")
        for row in rows.itertuples():
            print(f"  {row.rank:>2}. {row.product_name:<40} {row.category:<8} p={row.score:.3f}")
    feed = _named(read_table("recs_feed_btrnn"), catalog)
    starting = first_customer_at_the_start(catalog)
    user = feed.user_id.min() if starting is None else starting
    firsts = feed[(feed.user_id == user) & (feed["rank"] == 1)].sort_values("step")
    who = "" if starting is None else ", who has bought baby items only"
    print(f"\nFeed for user {user}{who} (top item of each next order):")
    for row in firsts.itertuples():
        print(f"  step {row.step}: {row.product_name} ({row.category})")
    fallback = (read_table("recs_bought_next_btrnn").recommender != "btrnn").sum()
    print(f"\nCold-start rows served by the fallback recommender: {fallback}")


def show_data_quality() -> None:
    """What staging dropped or merged, by reason (table data_quality)."""
    quality = read_table("data_quality").sort_values("affected_rows", ascending=False)
    print(f"\nData quality ({int(quality.source_lines.iloc[0]):,} source order lines):")
    for row in quality.itertuples():
        print(f"  {row.reason:<22} {row.affected_rows:>7,}  {row.affected_share:6.2%}")


def run_demo() -> int:
    started = time.perf_counter()
    try:
        _step("1/3 data layer: histories, windows, Word2Vec (dbt build --selector data_layer)")
        run_dbt(["build", "--selector", "data_layer"])
        _step("2/3 training BTRNN and publishing the model (btrnn train)")
        subprocess.run(train_command(DEMO_TRAINING), check=True)
        _step("3/3 scoring on Spark and the rank tests (dbt build --selector scoring)")
        scoring = run_dbt(["build", "--selector", "scoring"], capture=True)
        print(scoring.stdout, end="")
    except (DbtFailed, subprocess.CalledProcessError) as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    _step("results")
    print(f"model store: {default_model_uri()}")
    for name in TABLES:
        print(f"table btrnn.{name}: {len(read_table(name))} rows at {table_path(name)}")
    show_data_quality()
    show_recommendations()
    print("\nWhat the default views (recs_*_default) publish, and why:")
    for line in sorted({m.group(0) for m in PUBLISHED_LINE.finditer(scoring.stdout)}):
        print(f"  {line}")
    print(f"\nwarehouse and metastore: {state_dir()}  ({time.perf_counter() - started:.0f} s)")
    return 0
