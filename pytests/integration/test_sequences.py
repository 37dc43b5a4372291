"""Ordered histories, tie-break and windows at the edges, through the real dbt CLI on Spark.

One crafted shop: users with m = 1, 2, 11, 12, 13 purchases, orders of 3-4 items bought at the
same moment, and the rows staging must drop (guest, cancellation, quantity 0, duplicate line).
Its own build (not the shared demo warehouse): the edge cases need a shop made for them.
"""

from __future__ import annotations

import pandas as pd
import pytest

SEQUENCE_MODELS = "+int_training_windows +int_scoring_inputs_users +int_label_vocabulary"
# Only the tests of selected models (not those of tables that merely ref them).
SELECT = ["--select", SEQUENCE_MODELS, "--indirect-selection", "cautious"]
DAY = pd.Timestamp("2024-01-01")


def _orders() -> pd.DataFrame:
    rows = []

    def buy(
        user: int | None,
        order: str,
        product: int,
        day: int,
        quantity: int = 1,
        status: str | None = "completed",
    ) -> None:
        rows.append(
            {
                "order_id": order,
                "user_id": user,
                "product_id": product,
                "ordered_at": (DAY + pd.Timedelta(days=day)).strftime("%Y-%m-%d %H:%M:%S"),
                "quantity": quantity,
                "order_status": status,
            }
        )

    # User m has m purchases of products 100*m + 1 .. 100*m + m, one order a day.
    for m in (1, 2, 11, 12, 13):
        for i in range(1, m + 1):
            buy(m, f"U{m}-{i}", 100 * m + i, i)
    # Ties: users 21..23 buy one item, then 4 (user 21) or 3 items in one order.
    for user, size in ((21, 4), (22, 3), (23, 4)):
        buy(user, f"T{user}-a", 1000 + user, 1)
        for j in range(size):
            buy(user, f"T{user}-b", 2000 + 10 * user + j, 2)
    # Rows staging must drop.
    buy(None, "G-1", 901, 3)  # guest
    buy(2, "C-1", 902, 4, quantity=-1, status="cancelled")
    buy(2, "Z-1", 903, 5, quantity=0)
    buy(2, "N-1", 904, 6, status=None)  # cancellation status unknown: dropped, not a purchase
    buy(12, "U12-3", 1203, 3)  # the same line twice: one purchase
    return pd.DataFrame(rows).astype({"user_id": "Int64"})


@pytest.fixture(scope="module")
def shop(write_shop) -> dict[str, str]:
    return write_shop(_orders())


def _histories(warehouse) -> dict[int, list[int]]:
    table = warehouse.read("int_purchase_histories")
    return {
        int(u): [int(p) for p in ids]
        for u, ids in zip(table.user_id, table.product_ids, strict=False)
    }


@pytest.fixture(scope="module")
def built(warehouse, shop):
    # SPEC's paper windows, whose edges the tests below pin (the default is every prefix).
    warehouse.dbt("build", *SELECT, variables={"shop_files": shop, "every_prefix_windows": False})
    return warehouse


def test_staging_drops_non_purchases_and_keeps_order(built):
    histories = _histories(built)
    assert set(histories) == {1, 2, 11, 12, 13, 21, 22, 23}
    assert histories[2] == [201, 202]  # no cancellation, no quantity 0, no unknown status
    assert histories[12] == [1200 + i for i in range(1, 13)]  # duplicate line counted once
    assert histories[13] == [1300 + i for i in range(1, 14)]


def test_ranks_are_contiguous_and_follow_time(built):
    ranked = built.read("int_purchases_ranked").sort_values(["user_id", "purchase_rank"])
    for _, user in ranked.groupby("user_id"):
        assert list(user.purchase_rank) == list(range(1, len(user) + 1))
        assert user.ordered_at.is_monotonic_increasing


def test_tied_items_fill_consecutive_ranks(built):
    histories = _histories(built)
    for user, size in ((21, 4), (22, 3), (23, 4)):
        assert histories[user][0] == 1000 + user
        assert sorted(histories[user][1:]) == [2000 + 10 * user + j for j in range(size)]


def test_windows_at_the_edges(built):
    windows = built.read("int_training_windows")
    by_user = {u: w.sort_values("label_rank") for u, w in windows.groupby("user_id")}
    assert 1 not in by_user  # single purchase: no window
    assert len(by_user[2]) == 1
    assert list(by_user[2].iloc[0].input_product_ids) == [0] * 10 + [201]
    assert by_user[2].iloc[0].label_product_id == 202
    assert list(by_user[11].iloc[0].input_product_ids) == [0] + [1100 + i for i in range(1, 11)]
    assert by_user[11].iloc[0].label_product_id == 1111
    assert len(by_user[12]) == 1
    assert list(by_user[12].iloc[0].input_product_ids) == [1200 + i for i in range(1, 12)]
    assert len(by_user[13]) == 2  # m - 11 sliding windows
    assert list(by_user[13].iloc[1].input_product_ids) == [1300 + i for i in range(2, 13)]
    assert list(by_user[13].label_product_id) == [1312, 1313]


def test_scoring_inputs_are_the_last_eleven_left_padded(built):
    inputs = built.read("int_scoring_inputs_users").set_index("user_id").input_product_ids
    assert list(inputs[1]) == [0] * 10 + [101]
    assert list(inputs[13]) == [1300 + i for i in range(3, 14)]


def test_label_vocabulary_is_items_at_rank_two_or_later(built):
    vocabulary = built.read("int_label_vocabulary")
    histories = _histories(built)
    expected = {p for h in histories.values() for p in h[1:]}
    assert set(vocabulary.product_id) == expected
    assert sorted(vocabulary.label_index) == list(range(len(expected)))


def test_rerun_is_identical(built, shop):
    before = _histories(built)
    built.dbt(
        "run",
        "--select",
        "int_purchases_ranked int_purchase_histories",
        variables={"shop_files": shop},
    )
    assert _histories(built) == before


@pytest.fixture(scope="module")
def salted_every_prefix(built, shop):
    """One more build with both options that change the sequences (one dbt run for two tests):
    another tie-break salt, and a window for every prefix."""
    before = _histories(built)
    built.dbt(
        "build",
        "--select",
        "int_purchases_ranked int_purchase_histories int_training_windows int_label_vocabulary",
        "--indirect-selection",
        "cautious",
        variables={
            "shop_files": shop,
            "tie_break_salt": "another salt",
            "every_prefix_windows": True,
        },
    )
    return before, built


def test_salt_changes_only_the_tie_order(salted_every_prefix):
    before, built = salted_every_prefix
    salted = _histories(built)
    assert {u: sorted(h) for u, h in salted.items()} == {u: sorted(h) for u, h in before.items()}
    assert any(salted[u] != before[u] for u in (21, 22, 23))
    assert all(salted[u] == before[u] for u in (1, 2, 11, 12, 13))  # no ties: same order


def test_every_prefix_option_emits_one_window_per_target(salted_every_prefix):
    _, built = salted_every_prefix
    windows = built.read("int_training_windows")
    counts = windows.groupby("user_id").size().to_dict()
    assert counts == {2: 1, 11: 10, 12: 11, 13: 12, 21: 4, 22: 3, 23: 4}
    user13 = windows[windows.user_id == 13].sort_values("label_rank")
    assert list(user13.iloc[0].input_product_ids) == [0] * 10 + [1301]
