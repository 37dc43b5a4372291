"""The sample generator: reproducible bytes, the bundled sample, schema, planted structure."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from btrnn.generate import SAMPLE_DIR, STAGES, GeneratorConfig, generate

FILES = ("products.csv", "orders.csv", "product_views.csv")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
SMALL = GeneratorConfig(n_users=150)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("default")
    return out, generate(out)


@pytest.fixture(scope="module")
def frames(default_run: tuple[Path, dict[str, int]]) -> dict[str, pd.DataFrame]:
    out, _ = default_run
    return {name: pd.read_csv(out / name, dtype=str, keep_default_na=False) for name in FILES}


@pytest.fixture(scope="module")
def purchases(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What staging keeps: completed lines of known users, positive quantity, no duplicates."""
    orders = frames["orders.csv"]
    kept = orders[
        (orders.user_id != "")
        & (orders.order_status == "completed")
        & (orders.quantity.astype(int) > 0)
    ].drop_duplicates()
    products = frames["products.csv"][["product_id", "category", "team"]]
    kept = kept.merge(products, on="product_id", how="left", validate="many_to_one")
    kept["stage"] = kept.category.map({s: i for i, s in enumerate(STAGES)})
    return kept


def test_same_config_gives_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", SMALL)
    generate(tmp_path / "b", SMALL)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", SMALL)
    generate(tmp_path / "b", GeneratorConfig(seed=SMALL.seed + 1, n_users=SMALL.n_users))
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_committed_sample_is_what_the_generator_writes(
    default_run: tuple[Path, dict[str, int]],
) -> None:
    out, _ = default_run
    for name in FILES:
        committed = (SAMPLE_DIR / name).read_bytes()
        assert committed == (out / name).read_bytes(), (
            f"data/sample/{name} drifted: regenerate with `btrnn generate`"
        )


def test_sample_readme_states_the_row_counts(
    default_run: tuple[Path, dict[str, int]],
) -> None:
    _, counts = default_run
    readme = (SAMPLE_DIR / "README.md").read_text()
    for name, rows in counts.items():
        assert f"`{name}` ({rows:,} rows" in readme, f"data/sample/README.md: {name} has {rows:,}"


def test_counts_and_sizes(
    default_run: tuple[Path, dict[str, int]], frames: dict[str, pd.DataFrame]
) -> None:
    out, counts = default_run
    assert counts == {name: len(frames[name]) for name in FILES}
    assert 20_000 <= counts["orders.csv"] <= 30_000
    assert 50_000 <= counts["product_views.csv"] <= 80_000
    assert sum((out / name).stat().st_size for name in FILES) < 4_000_000


def test_products_schema(frames: dict[str, pd.DataFrame]) -> None:
    products = frames["products.csv"]
    columns = ["product_id", "name", "category", "team", "price", "created_at"]
    assert list(products.columns) == columns
    ids = products.product_id.astype(int)
    assert list(ids) == list(range(1, len(products) + 1))
    assert set(products.category) == set(STAGES)
    assert products.groupby("team").category.nunique().eq(len(STAGES)).all()
    assert products.price.str.fullmatch(r"\d+\.\d{2}").all()
    assert products.created_at.str.fullmatch(TIME.pattern).all()
    for row in products.itertuples():
        assert row.name.startswith(f"{row.team} {row.category.title()} ")
    # ids follow creation time, so they do not encode team or stage
    assert products.created_at.is_monotonic_increasing
    assert not products.category.is_monotonic_increasing


def test_orders_schema_and_noise(frames: dict[str, pd.DataFrame]) -> None:
    orders = frames["orders.csv"]
    assert list(orders.columns) == [
        "order_id",
        "user_id",
        "product_id",
        "ordered_at",
        "quantity",
        "order_status",
    ]
    assert orders.order_id.str.fullmatch(r"O\d{7}").all()
    assert orders.ordered_at.str.fullmatch(TIME.pattern).all()
    assert set(orders.order_status) == {"completed", "cancelled"}
    assert orders.product_id.astype(int).isin(frames["products.csv"].product_id.astype(int)).all()
    quantity = orders.quantity.astype(int)
    cancelled = orders.order_status == "cancelled"
    assert cancelled.sum() > 100
    assert (quantity[cancelled] < 0).all()
    assert (quantity[~cancelled] > 0).all()
    assert (orders.user_id == "").sum() > 300
    assert orders.user_id[orders.user_id != ""].str.fullmatch(r"\d+").all()
    assert orders.duplicated().sum() > 10
    # bought, then cancelled in the same order: a completed line with a cancelled reversal
    reversed_lines = orders[cancelled].merge(
        orders[~cancelled], on=["order_id", "product_id"], suffixes=("", "_bought")
    )
    assert len(reversed_lines) > 10


def test_order_lines_share_a_timestamp(frames: dict[str, pd.DataFrame]) -> None:
    orders = frames["orders.csv"]
    per_order = orders.groupby("order_id").agg(
        times=("ordered_at", "nunique"),
        users=("user_id", "nunique"),
        products=("product_id", "nunique"),
    )
    assert per_order.times.eq(1).all()
    assert per_order.users.eq(1).all()
    assert (per_order.products >= 2).sum() > 1000
    assert per_order.products.max() == 4


def test_history_lengths_and_repeats(purchases: pd.DataFrame) -> None:
    lengths = purchases.groupby("user_id").size()
    assert (lengths == 1).sum() >= 100
    assert lengths.between(2, 11).sum() >= 1000
    assert (lengths >= 12).sum() >= 400
    assert lengths.max() <= GeneratorConfig().max_history
    orders_per_item = purchases.groupby(["user_id", "product_id"]).order_id.nunique()
    assert (orders_per_item >= 2).sum() > 500


def test_stages_move_forward(purchases: pd.DataFrame) -> None:
    # lines of one order share a timestamp, so within an order take the stage order
    ordered = purchases.sort_values(["user_id", "ordered_at", "order_id", "stage"])
    previous = ordered.groupby("user_id").stage.shift()
    pairs = ordered.assign(previous=previous).dropna(subset=["previous"])
    step = pairs.stage - pairs.previous
    assert len(pairs) > 15_000
    assert (step >= 0).mean() >= 0.85
    assert (step > 0).sum() >= 2 * (step < 0).sum()
    for earlier, later in zip(STAGES, STAGES[1:], strict=False):
        forward = ((pairs.category == later) & (pairs.previous == STAGES.index(earlier))).sum()
        backward = ((pairs.category == earlier) & (pairs.previous == STAGES.index(later))).sum()
        assert forward >= 2 * backward, (earlier, later, forward, backward)
    adult_to_baby = ((pairs.previous == STAGES.index("adult")) & (pairs.stage == 0)).mean()
    assert adult_to_baby < 0.03


def test_users_stay_with_their_team(purchases: pd.DataFrame) -> None:
    favourite = purchases.groupby("user_id").team.agg(lambda teams: teams.value_counts().index[0])
    share = (purchases.team == purchases.user_id.map(favourite)).mean()
    assert share >= 0.7


def test_views_precede_purchases_and_follow_the_team(
    frames: dict[str, pd.DataFrame], purchases: pd.DataFrame
) -> None:
    views = frames["product_views.csv"]
    assert list(views.columns) == ["user_id", "product_id", "viewed_at"]
    assert views.viewed_at.str.fullmatch(TIME.pattern).all()
    assert (views.user_id != "").all()
    seen = purchases.merge(views, on=["user_id", "product_id"])
    viewed_before = seen[seen.viewed_at < seen.ordered_at][["order_id", "product_id"]]
    share = len(viewed_before.drop_duplicates()) / len(purchases)
    assert share >= 0.6
    teams = frames["products.csv"].set_index("product_id").team
    sentences = views.sort_values(["user_id", "viewed_at"], kind="stable")
    team = sentences.product_id.map(teams)
    same_user = sentences.user_id.eq(sentences.user_id.shift())
    assert (team.eq(team.shift()) & same_user).sum() / same_user.sum() >= 0.7
