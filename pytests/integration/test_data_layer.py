"""The data layer `btrnn demo` built from the bundled sample, and what bad input does to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from btrnn.dbt_runner import DbtFailed
from btrnn.runtime import PROJECT_ROOT

DATA_LAYER = (
    "+item_features +int_training_windows +int_label_vocabulary"
    " +int_scoring_inputs_users +int_scoring_inputs_seeds"
)


@pytest.fixture(scope="module")
def built(demo_run):
    return demo_run  # the demo's `dbt build` of the bundled sample


def test_sample_build_learns_vectors_from_views(built):
    embeddings = built.read("item_embeddings")
    assert set(embeddings.sentence_source) == {"views"}
    assert all(len(v) == 100 for v in embeddings.vector)
    features = built.read("item_features")
    catalog = built.read("int_products_catalog")
    assert set(features.product_id) == set(catalog.product_id)
    matrix = np.stack(features.features.to_numpy())
    assert matrix.shape[1] == 102
    assert np.array_equal(matrix[:, 0] == 1.0, features.has_vector.to_numpy())
    assert np.isclose(matrix[:, 1].max(), 1.0)
    with_vector = features.set_index("product_id").features
    sample = embeddings.iloc[0]
    assert np.allclose(with_vector[sample.product_id][2:], sample.vector)


def test_sample_has_both_window_shapes(built):
    windows = built.read("int_training_windows")
    assert (windows.padded_positions > 0).any()  # short histories: left-padded
    assert (windows.padded_positions == 0).any()  # long ones: sliding
    assert (windows.label_product_id > 0).all()


def test_bad_rows_fail_with_a_clear_error_and_keep_published_tables(built, tmp_path):
    before = built.read("int_training_windows")
    orders = pd.read_csv(PROJECT_ROOT / "data" / "sample" / "orders.csv", dtype=str)
    orders.loc[5, "ordered_at"] = "31/02/2024 25:61"
    bad = tmp_path / "orders.csv"
    orders.to_csv(bad, index=False)
    shop = {
        "format": "csv",
        "orders": str(bad),
        "product_views": str(PROJECT_ROOT / "data" / "sample" / "product_views.csv"),
        "products": str(PROJECT_ROOT / "data" / "sample" / "products.csv"),
    }
    with pytest.raises(DbtFailed) as failure:
        built.dbt("build", "--select", DATA_LAYER, variables={"shop_files": shop}, capture=True)
    message = str(failure.value)
    assert str(bad) in message
    assert f"order {orders.loc[5, 'order_id']}" in message
    assert "ordered_at = 31/02/2024 25:61" in message
    assert "orders_columns" in message  # says what to do
    after = built.read("int_training_windows")
    pd.testing.assert_frame_equal(
        before.sort_values(["user_id", "label_rank"]).reset_index(drop=True),
        after.sort_values(["user_id", "label_rank"]).reset_index(drop=True),
    )


USER_TABLE_JOB = """
from btrnn.spark import get_session
spark = get_session("user-table", master="local[1]")
spark.sql("create schema if not exists user_raw")
spark.sql("create table user_raw.orders using parquet as select 1 as order_line")
spark.stop()
"""


def test_registration_never_drops_a_table_it_did_not_create(built):
    """A `shop_schema` holding someone's own `orders` table: the run refuses, the table stays."""
    env = {**os.environ, **built.env}
    subprocess.run([sys.executable, "-c", USER_TABLE_JOB], env=env, check=True, timeout=300)
    with pytest.raises(DbtFailed) as failure:
        built.dbt(
            "build", "--select", "stg_shop__orders", variables={"shop_schema": "user_raw"},
            capture=True,
        )  # fmt: skip
    assert "user_raw.orders exists and was not registered from shop_files" in str(failure.value)
    assert "shop_files: null" in str(failure.value)  # says what to do
    assert built.read("orders", schema="user_raw").order_line.tolist() == [1]


def test_literals_from_vars_stay_data(built):
    """Quotes and backslashes in a var reach Spark as data: `^\\d{5}$` still means five digits."""
    query = (
        'select {{ sql_string("it\'s \\\\d") }} as literal,'
        " '12345' rlike {{ sql_string('^\\\\d{5}$') }} as five_digits,"
        " 'ddddd' rlike {{ sql_string('^\\\\d{5}$') }} as mangled"
    )
    shown = built.dbt("show", "--inline", query, "--output", "json", capture=True).stdout
    row = json.loads(shown[shown.index("{") : shown.rindex("}") + 1])["show"][0]
    assert row == {"literal": "it's \\d", "five_digits": True, "mangled": False}


def test_an_invalid_code_pattern_stops_the_run_before_anything_is_built(built):
    with pytest.raises(DbtFailed) as failure:
        built.dbt(
            "build", "--select", "stg_shop__orders", variables={"product_code_pattern": "^[0-9"},
            capture=True,
        )  # fmt: skip
    assert "product_code_pattern ^[0-9 is not a valid regular expression" in str(failure.value)
    assert "Nothing was built" in str(failure.value)


def test_data_quality_counts_what_staging_dropped(built):
    orders = pd.read_csv(PROJECT_ROOT / "data" / "sample" / "orders.csv", dtype=str)
    quality = built.read("data_quality").set_index("reason")
    guests = orders.user_id.isna()
    cancelled = ~guests & (orders.order_status == "cancelled")
    kept = orders[~guests & ~cancelled]
    merged = len(kept) - len(kept.drop_duplicates(["user_id", "order_id", "product_id"]))
    assert quality.loc["guest", "affected_rows"] == guests.sum()
    assert quality.loc["cancelled", "affected_rows"] == cancelled.sum()
    assert quality.loc["duplicate_line", "affected_rows"] == merged > 0
    assert quality.loc["capped_history", "affected_rows"] == 0  # no cap by default
    assert set(quality.source_lines) == {len(orders)}


def test_data_quality_threshold_fails_the_run_when_set_to_error(built):
    variables = {"data_quality_max_share": {"guest": 0.001}, "data_quality_severity": "error"}
    with pytest.raises(DbtFailed) as failure:
        built.dbt("test", "--select", "data_quality", variables=variables, capture=True)
    assert "share_at_most_data_quality" in str(failure.value)
    assert "Nothing to do" not in str(failure.value)  # the limit test ran and failed


def test_source_freshness_reads_the_newest_mapped_order_against_the_vars(built):
    """`dbt source freshness` on orders: the newest mapped ordered_at, thresholds from vars (the
    sample is years old: past a 1-hour warning, within a million-hour error limit)."""
    orders = pd.read_csv(PROJECT_ROOT / "data" / "sample" / "orders.csv", dtype=str)
    hours = {"orders_freshness_warn_after_hours": 1, "orders_freshness_error_after_hours": 10**6}
    built.dbt("source", "freshness", "--select", "source:shop.orders", variables=hours)
    results = json.loads((built.root / "target" / "sources.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"] == "source.btrnn.shop.orders"]
    assert result["status"] == "warn"
    newest = pd.Timestamp(result["max_loaded_at"])
    newest = newest.tz_convert("UTC").tz_localize(None) if newest.tzinfo else newest
    assert newest == pd.Timestamp(orders.ordered_at.max())


def test_a_table_of_another_shape_fails_the_declared_columns_check(built):
    """The check that holds Python models' tables (and every recommender's) to a declared shape:
    a seed-item table against the personal default view's columns fails, naming each column."""
    query = (
        "{{ test_matches_declared_columns(model=ref('recs_bought_next_cooccurrence'),"
        " declared_by='recs_next_order_default') }}"
    )
    shown = built.dbt("show", "--inline", query, "--output", "json", capture=True).stdout
    rows = json.loads(shown[shown.index("{") : shown.rindex("}") + 1])["show"]
    assert sorted(row["problem"] for row in rows) == [
        "seed_product_id: bigint, not declared by recs_next_order_default",
        "user_id: declared bigint, missing",
    ]


def test_dbt_unit_tests_of_windows_inputs_cooccurrence_default_and_history_pass(built):
    """The project's dbt unit tests (fixed inputs, expected rows) on the built warehouse."""
    built.dbt("test", "--select", "test_type:unit", capture=True)
    results = json.loads((built.root / "target" / "run_results.json").read_text())["results"]
    units = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test")}
    assert len(units) == 6 and set(units.values()) == {"pass"}, units
