"""The item table a model ships with: id -> matrix row, padding, unknown ids, round trip."""

from __future__ import annotations

import numpy as np
import pytest

from btrnn.items import FLAG, PADDING_ID, ItemTable


def _features(flags: list[float]) -> np.ndarray:
    rows = np.arange(len(flags) * 4, dtype=np.float32).reshape(len(flags), 4) + 1.0
    rows[:, FLAG] = flags
    return rows


def test_rows_follow_sorted_ids_whatever_the_input_order() -> None:
    table = ItemTable.from_rows(np.array([30, 10, 20]), _features([1.0, 0.0, 1.0]))
    assert table.item_ids.tolist() == [10, 20, 30]
    assert table.matrix[0].tolist() == [0.0] * 4  # row 0: padding
    assert table.matrix[table.rows_of(np.array([30]))[0]].tolist() == _features([1.0])[0].tolist()
    assert table.has_vector.tolist() == [False, True, True]


def test_padding_and_unknown_ids_map_to_the_zero_row() -> None:
    table = ItemTable.from_rows(np.array([5, 9]), _features([1.0, 1.0]))
    rows = table.rows_of(np.array([[PADDING_ID, 5], [9, 7], [10**12, 4]]))
    assert rows.tolist() == [[0, 1], [2, 0], [0, 0]]
    assert table.with_vector(np.array([5, 7, PADDING_ID])).tolist() == [True, False, False]


@pytest.mark.parametrize("ids", [[3, 3], [0, 4], [-1, 2]])
def test_duplicate_and_non_positive_ids_are_refused(ids: list[int]) -> None:
    with pytest.raises(ValueError, match="unique and > 0"):
        ItemTable.from_rows(np.array(ids), _features([1.0] * len(ids)))


def test_save_and_load_round_trip(tmp_path) -> None:
    table = ItemTable.from_rows(np.array([8, 2, 5]), _features([0.0, 1.0, 1.0]))
    table.save(tmp_path)
    loaded = ItemTable.load(tmp_path)
    np.testing.assert_array_equal(loaded.item_ids, table.item_ids)
    np.testing.assert_array_equal(loaded.matrix, table.matrix)
    np.testing.assert_array_equal(loaded.has_vector, table.has_vector)
