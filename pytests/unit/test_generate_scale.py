"""The streaming generator (paper scale): sizes, schema, reproducibility, structure, noise."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from btrnn.generate import PRESETS, SAMPLE_DIR, STAGES, GeneratorConfig, configure, generate
from btrnn.generate import write_shop as stream_shop
from btrnn.generate.stream import ORDERS_SCHEMA, PRODUCTS_SCHEMA, VIEWS_SCHEMA

TABLES = ("orders", "product_views", "products")
SCALED = configure(items=2_000, users=3_000, order_lines=30_000)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same shop written in chunks of 1,000 and 3,000 users, as Parquet and CSV."""
    root = tmp_path_factory.mktemp("scaled")
    chunks: list[int] = []  # the users of each chunk, as the CLI's progress bar gets them
    stream_shop(root / "small", SCALED, "parquet", chunk_users=1_000, on_chunk=chunks.append)
    assert sum(chunks) == SCALED.n_users and max(chunks) == 1_000
    stream_shop(root / "large", SCALED, "parquet", chunk_users=3_000)
    stream_shop(root / "csv", SCALED, "csv", chunk_users=2_000)
    return {name: root / name for name in ("small", "large", "csv")}


@pytest.fixture(scope="module")
def tables(runs: dict[str, Path]) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(runs["small"] / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def purchases(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What staging keeps: completed lines of known users, positive quantity, no duplicates."""
    orders = tables["orders"]
    kept = orders[
        orders.user_id.notna() & (orders.order_status == "completed") & (orders.quantity > 0)
    ].drop_duplicates()
    products = tables["products"][["product_id", "category", "team"]]
    kept = kept.merge(products, on="product_id", how="left", validate="many_to_one")
    return kept.assign(stage=kept.category.map({s: i for i, s in enumerate(STAGES)}))


def test_sizing_of_the_scaled_catalogue() -> None:
    assert SCALED.n_items == 2_000
    assert SCALED.n_users == 3_000
    assert 80 <= SCALED.products_per_team_stage <= 120
    assert SCALED.new_arrivals >= 20
    paper = PRESETS["paper"]
    assert paper.n_items >= 400_000
    assert paper.n_users >= 1_000_000
    assert paper.expected_order_lines() >= 10_000_000
    assert 90 <= paper.products_per_team_stage <= 110
    assert paper.n_teams >= 900


@pytest.mark.parametrize("lines_per_user", [2.0, 10.0, 40.0])
def test_order_line_target_is_met_in_expectation(lines_per_user: float) -> None:
    config = configure(items=2_000, users=10_000, order_lines=int(10_000 * lines_per_user))
    assert config.expected_order_lines() == pytest.approx(10_000 * lines_per_user, rel=0.02)


def test_sizes_near_the_requested_ones(
    runs: dict[str, Path], tables: dict[str, pd.DataFrame]
) -> None:
    assert len(tables["products"]) == 2_000
    assert len(tables["orders"]) == pytest.approx(30_000, rel=0.05)
    assert 1.5 <= len(tables["product_views"]) / len(tables["orders"]) <= 3.0
    users = tables["orders"].user_id.dropna().astype(int)
    assert set(users) == set(range(1, 3_001))


def test_schema_is_what_staging_reads(runs: dict[str, Path]) -> None:
    expected = {"orders": ORDERS_SCHEMA, "product_views": VIEWS_SCHEMA, "products": PRODUCTS_SCHEMA}
    for name in TABLES:
        schema = pq.read_schema(runs["small"] / f"{name}.parquet")
        assert schema.names == expected[name].names
        assert [f.type for f in schema] == [f.type for f in expected[name]]
    assert ORDERS_SCHEMA.names == [
        "order_id",
        "user_id",
        "product_id",
        "ordered_at",
        "quantity",
        "order_status",
    ]
    assert VIEWS_SCHEMA.names == ["user_id", "product_id", "viewed_at"]
    assert PRODUCTS_SCHEMA.names == [
        "product_id",
        "name",
        "category",
        "team",
        "price",
        "created_at",
    ]
    assert pa.types.is_timestamp(ORDERS_SCHEMA.field("ordered_at").type)


def test_chunks_are_row_groups_and_do_not_change_the_content(runs: dict[str, Path]) -> None:
    for name in ("orders", "product_views"):
        small = pq.ParquetFile(runs["small"] / f"{name}.parquet")
        large = pq.ParquetFile(runs["large"] / f"{name}.parquet")
        assert small.metadata.num_row_groups == 3
        assert large.metadata.num_row_groups == 1
        assert small.read().equals(large.read())


def test_same_seed_same_content_other_seed_other(tmp_path: Path, runs: dict[str, Path]) -> None:
    config = configure(items=500, users=1_200, seed=SCALED.seed)
    stream_shop(tmp_path / "a", config, "parquet", chunk_users=1_000)
    stream_shop(tmp_path / "b", config, "parquet", chunk_users=1_000)
    stream_shop(tmp_path / "c", configure(items=500, users=1_200, seed=SCALED.seed + 1))
    for name in TABLES:
        a, b, c = (pq.read_table(tmp_path / run / f"{name}.parquet") for run in "abc")
        assert a.equals(b)
        assert not a.equals(c)


def test_csv_has_the_same_rows_as_parquet(
    runs: dict[str, Path], tables: dict[str, pd.DataFrame]
) -> None:
    orders = pd.read_csv(runs["csv"] / "orders.csv", dtype=str, keep_default_na=False)
    parquet = tables["orders"]
    assert list(orders.columns) == list(parquet.columns)
    assert orders.order_id.tolist() == parquet.order_id.tolist()
    assert orders.user_id.tolist() == [
        "" if pd.isna(u) else str(int(u)) for u in parquet.user_id.tolist()
    ]
    assert (
        orders.ordered_at.tolist() == parquet.ordered_at.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    )
    assert orders.quantity.astype(int).tolist() == parquet.quantity.tolist()
    products = pd.read_csv(runs["csv"] / "products.csv", dtype=str, keep_default_na=False)
    assert products.price.str.fullmatch(r"\d+\.\d{1,2}").all()
    assert products.name.tolist() == tables["products"].name.tolist()


def test_orders_are_unique_and_lines_share_a_timestamp(tables: dict[str, pd.DataFrame]) -> None:
    orders = tables["orders"].assign(user=lambda o: o.user_id.fillna(0))
    assert orders.order_id.str.fullmatch(r"O\d{10}").all()
    per_order = orders.groupby("order_id").agg(
        times=("ordered_at", "nunique"),
        users=("user", "nunique"),
        products=("product_id", "nunique"),
    )
    assert per_order.times.eq(1).all()
    assert per_order.users.eq(1).all()
    assert (per_order.products >= 2).mean() > 0.1
    assert per_order.products.max() == 4


def test_noise_is_present(tables: dict[str, pd.DataFrame], purchases: pd.DataFrame) -> None:
    orders = tables["orders"]
    cancelled = orders.order_status == "cancelled"
    assert set(orders.order_status) == {"completed", "cancelled"}
    assert (orders.quantity[cancelled] < 0).all()
    assert (orders.quantity[~cancelled] > 0).all()
    assert 0.01 <= cancelled.mean() <= 0.05
    assert 0.02 <= orders.user_id.isna().mean() <= 0.08  # guests
    assert orders.duplicated().sum() > 10
    reversals = orders[cancelled].merge(orders[~cancelled], on=["order_id", "product_id"])
    assert len(reversals) > 10
    repeats = purchases.groupby(["user_id", "product_id"]).order_id.nunique()
    assert (repeats >= 2).sum() > 300
    noise = purchases.team != purchases.user_id.map(
        purchases.groupby("user_id").team.agg(lambda t: t.value_counts().index[0])
    )
    assert 0.05 <= noise.mean() <= 0.3


def test_stages_move_forward_within_a_team(purchases: pd.DataFrame) -> None:
    ordered = purchases.sort_values(["user_id", "ordered_at", "order_id", "stage"])
    pairs = ordered.assign(previous=ordered.groupby("user_id").stage.shift()).dropna(
        subset=["previous"]
    )
    step = pairs.stage - pairs.previous
    assert (step >= 0).mean() >= 0.85
    assert (step > 0).sum() >= 2 * (step < 0).sum()
    favourite = purchases.groupby("user_id").team.agg(lambda t: t.value_counts().index[0])
    assert (purchases.team == purchases.user_id.map(favourite)).mean() >= 0.7


def test_views_precede_purchases(tables: dict[str, pd.DataFrame], purchases: pd.DataFrame) -> None:
    views = tables["product_views"]
    assert views.user_id.notna().all()
    seen = purchases.merge(views, on=["user_id", "product_id"])
    before = seen[seen.viewed_at < seen.ordered_at][["order_id", "product_id"]].drop_duplicates()
    assert len(before) / len(purchases) >= 0.6
    teams = tables["products"].set_index("product_id").team
    sentences = views.sort_values(["user_id", "viewed_at"], kind="stable")
    team = sentences.product_id.map(teams)
    same_user = sentences.user_id.eq(sentences.user_id.shift())
    assert (team.eq(team.shift()) & same_user).sum() / same_user.sum() >= 0.6


def test_new_arrivals_are_cold(tables: dict[str, pd.DataFrame]) -> None:
    products = tables["products"]
    new = products[products.name.str.endswith("(new season)")].product_id
    assert len(new) == SCALED.new_arrivals
    assert not new.isin(tables["orders"].product_id).any()
    assert not new.isin(tables["product_views"].product_id).any()
    assert products.created_at.max() == products.created_at[products.product_id.isin(new)].min()
    # every team has all four stages; ids follow creation time, not team or stage
    assert products.groupby("team").category.nunique().eq(len(STAGES)).all()
    old = products[~products.product_id.isin(new)]
    assert old.created_at.is_monotonic_increasing


def test_streaming_engine_matches_the_sample_engine(tmp_path: Path) -> None:
    """Same rules, two engines: on the sample's config the shares agree with data/sample."""
    counts = stream_shop(tmp_path, GeneratorConfig(), "csv")
    sample = {
        name: pd.read_csv(SAMPLE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in TABLES
    }
    streamed = {
        name: pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in TABLES
    }
    assert counts["products.csv"] == len(sample["products"])
    assert streamed["products"].name.tolist() == sample["products"].name.tolist()
    for name in ("orders", "product_views"):
        assert len(streamed[name]) == pytest.approx(len(sample[name]), rel=0.05)
    for frame in (sample["orders"], streamed["orders"]):
        frame["guest"] = frame.user_id == ""
        frame["cancelled"] = frame.order_status == "cancelled"
        frame["lines"] = frame.groupby("order_id").product_id.transform("nunique")
    for column, tolerance in (("guest", 0.01), ("cancelled", 0.01), ("lines", 0.1)):
        assert streamed["orders"][column].mean() == pytest.approx(
            sample["orders"][column].mean(), abs=tolerance
        ), column


def _cli(*argv: str) -> int:
    from btrnn.cli import build_parser

    args = build_parser().parse_args(["generate", *argv])
    return args.run(args)


def test_cli_streams_parquet_beyond_the_sample(tmp_path: Path) -> None:
    options = ("--items", "500", "--users", "1200", "--order-lines", "12000")
    assert (
        _cli(*options, "--format", "parquet", "--chunk-users", "1000", "--out", str(tmp_path)) == 0
    )
    assert pq.ParquetFile(tmp_path / "orders.parquet").metadata.num_row_groups == 2
    assert pq.read_metadata(tmp_path / "products.parquet").num_rows == 500
    assert pq.read_metadata(tmp_path / "orders.parquet").num_rows == pytest.approx(12_000, rel=0.1)


def test_cli_sample_options_keep_the_sample_engine(tmp_path: Path) -> None:
    assert _cli("--users", "150", "--seed", "3", "--out", str(tmp_path / "cli")) == 0
    generate(tmp_path / "api", GeneratorConfig(n_users=150, seed=3))
    for name in ("orders.csv", "product_views.csv", "products.csv"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "api" / name).read_bytes()


def test_cli_wants_an_out_folder_beyond_the_sample() -> None:
    assert _cli("--preset", "paper") == 2
