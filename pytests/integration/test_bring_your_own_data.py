"""Shops' own exports load as written by their tools' defaults: Parquet from pandas (nanosecond
timestamps, float customer ids, time-zone-aware timestamps) and CSV with another delimiter and
quoted fields."""

from __future__ import annotations

import pandas as pd
import pytest

from btrnn.dbt_runner import DbtFailed

SELECTION = ["--select", "+int_purchases_ranked", "+int_view_sentences"]


@pytest.fixture(scope="module")
def pandas_shop(tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    """Orders as a pandas export: `Customer ID` float64 with NaN guests, `InvoiceDate`
    datetime64[ns] with sub-microsecond digits; views with Europe/Berlin timestamps."""
    folder = tmp_path_factory.mktemp("pandas_shop")
    times = pd.to_datetime(["2024-03-01 10:00:00.123456789", "2024-03-02 11:30:00.000000001"])
    orders = pd.DataFrame(
        {
            "Customer ID": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, float("nan")],
            "Invoice": ["A1", "A2", "A3", "B1", "B2", "B3", "G1"],
            "StockCode": [10, 11, 12, 10, 12, 13, 10],
            "InvoiceDate": [times[0], times[1], *pd.to_datetime(["2024-03-05"] * 5)],
            "Quantity": [1, 2, 1, 1, 1, 3, 1],
        }
    )
    views = pd.DataFrame(
        {
            "visitor": [1, 2, 2],
            "sku": [10, 12, 13],
            "seen": pd.to_datetime(["2024-03-01 09:00"] * 3).tz_localize("Europe/Berlin"),
        }
    )
    orders.to_parquet(folder / "orders.parquet")  # pandas' defaults: timestamp[ns]
    views.to_parquet(folder / "views.parquet")
    variables = {
        "shop_schema": "pandas_raw",
        "shop_files": {
            "format": "parquet",
            "orders": str(folder / "orders.parquet"),
            "product_views": str(folder / "views.parquet"),
            "products": None,
        },
        "orders_columns": {
            "user_id": "`Customer ID`", "order_id": "Invoice", "product_code": "StockCode",
            "ordered_at": "InvoiceDate", "quantity": "Quantity", "is_cancelled": "false",
            "product_name": "cast(null as string)",
        },
        "product_views_columns": {"user_id": "visitor", "product_code": "sku", "viewed_at": "seen"},
    }  # fmt: skip
    return variables, orders


def test_pandas_parquet_with_nanosecond_timestamps_and_float_ids_loads(warehouse, pandas_shop):
    variables, orders = pandas_shop
    warehouse.dbt("run", *SELECTION, variables=variables, capture=True)
    ranked = warehouse.read("int_purchases_ranked").sort_values(["user_id", "purchase_rank"])
    buyers = orders.dropna(subset=["Customer ID"])
    assert sorted(ranked.user_id.unique()) == [1, 2]  # float ids as integers; the guest dropped
    assert len(ranked) == len(buyers)
    first = ranked[ranked.user_id == 1].ordered_at.tolist()
    # Nanoseconds truncate to Spark's microseconds; the order of purchases is kept.
    assert first[:2] == [
        pd.Timestamp("2024-03-01 10:00:00.123456"),
        pd.Timestamp("2024-03-02 11:30:00"),
    ]
    sentences = warehouse.read("int_view_sentences")
    assert len(sentences) > 0


def test_time_zone_aware_timestamps_are_converted_to_utc(warehouse, pandas_shop):
    variables, _ = pandas_shop
    query = "select min(viewed_at) as first_view from {{ ref('stg_shop__product_views') }}"
    shown = warehouse.dbt(
        "show", "--inline", query, "--output", "json", variables=variables, capture=True
    ).stdout
    assert '"first_view": "2024-03-01T08:00:00' in shown  # 09:00 in Berlin (CET) is 08:00 UTC


def test_csv_with_semicolons_and_quoted_fields_loads(warehouse, tmp_path):
    lines = [
        "order_id;user_id;product_id;ordered_at;quantity;order_status;note",
        'O1;7;100;2024-05-01 10:00:00;1;completed;"gift; wrapped"',
        'O2;7;101;2024-05-02T10:00:00+02:00;1;completed;"say ""hi"""',
        "O3;7;102;2024-05-03 10:00:00;1;completed;",
    ]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    variables = {
        "shop_schema": "semicolon_raw",
        "shop_files": {
            "format": "csv", "orders": str(path), "product_views": None, "products": None,
            "csv_options": {"sep": ";", "quote": '"', "escape": '"'},
        },
    }  # fmt: skip
    warehouse.dbt("run", *SELECTION, variables=variables, capture=True)
    ranked = warehouse.read("int_purchases_ranked").sort_values("purchase_rank")
    assert ranked.product_id.tolist() == [100, 101, 102]
    assert ranked.ordered_at.tolist()[1] == pd.Timestamp("2024-05-02 08:00:00")  # +02:00 -> UTC


def test_a_file_split_on_the_wrong_delimiter_gets_one_clear_message(warehouse, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id;user_id;product_id;ordered_at;quantity;order_status\n")
    variables = {
        "shop_schema": "wrong_delimiter_raw",
        "shop_files": {
            "format": "csv", "orders": str(path), "product_views": None, "products": None,
        },
    }  # fmt: skip
    with pytest.raises(DbtFailed) as failure:
        warehouse.dbt("run", *SELECTION, variables=variables, capture=True)
    message = str(failure.value)
    assert "Source orders (file " in message and "has no column user_id" in message
    assert "set shop_files.csv_options.sep" in message
    assert "Nothing was built" in message
    assert "UNRESOLVED_COLUMN" not in message and "\tat org.apache" not in message
