"""The item table a model is trained with: product ids -> rows of the 102-number matrix.

Row 0 is padding (all zeros). The table ships inside the model artifact, so scoring feeds the
model exactly the vectors it was trained on, whatever the warehouse holds later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

PADDING_ID = 0
# The item matrix's row of the padding (and of ids the model does not know): zeros.
PADDING_ROW = 0
# The feature layout (SPEC "Item vectors"): [0] has a Word2Vec vector, [1] product_id / max id,
# [2..] the vector. btrnn.features writes it; the model's readers find each number here.
FLAG, NORMALISED_ID, VECTOR_START = 0, 1, 2


def list_column(table: pa.Table, name: str) -> np.ndarray:
    """A column of equal-length arrays as one (rows, width) numpy array."""
    column = table.column(name).combine_chunks()
    width = len(column[0]) if len(column) else 0
    return column.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)


@dataclass(frozen=True)
class ItemTable:
    """Sorted product ids and their feature rows (row i + 1 belongs to item_ids[i])."""

    item_ids: np.ndarray  # (n,) int64, sorted
    matrix: np.ndarray  # (n + 1, feature_length) float32, row 0 = padding
    has_vector: np.ndarray  # (n,) bool

    @classmethod
    def from_rows(cls, product_ids: np.ndarray, features: np.ndarray) -> ItemTable:
        order = np.argsort(product_ids, kind="stable")
        ids = np.asarray(product_ids, dtype=np.int64)[order]
        if len(ids) and (ids[0] <= PADDING_ID or np.any(np.diff(ids) == 0)):
            raise ValueError("item ids must be unique and > 0 (0 is the padding id)")
        rows = np.asarray(features, dtype=np.float32)[order]
        matrix = np.vstack([np.zeros((1, rows.shape[1]), np.float32), rows])
        return cls(ids, matrix, rows[:, FLAG] == 1.0)

    def version(self) -> str:
        """The Word2Vec version: a hash of the feature matrix, so a model and a warehouse can
        tell whether they hold the same item vectors."""
        return hashlib.sha256(self.matrix.tobytes()).hexdigest()[:16]

    @classmethod
    def from_arrow(cls, features: pa.Table) -> ItemTable:
        """From the `item_features` table's `product_id` and `features` columns."""
        return cls.from_rows(
            features.column("product_id").to_numpy(), list_column(features, "features")
        )

    @property
    def feature_length(self) -> int:
        return int(self.matrix.shape[1])

    def rows_of(self, product_ids: np.ndarray) -> np.ndarray:
        """Matrix rows of product ids; padding and ids unknown to the model map to row 0."""
        ids = np.asarray(product_ids, dtype=np.int64)
        position = np.searchsorted(self.item_ids, ids)
        position = np.minimum(position, len(self.item_ids) - 1)
        known = (self.item_ids[position] == ids) & (ids != PADDING_ID)
        return np.where(known, position + 1, PADDING_ROW).astype(np.int32)

    def with_vector(self, product_ids: np.ndarray) -> np.ndarray:
        """Whether each id has a Word2Vec vector in this table (False for unknown ids)."""
        rows = self.rows_of(product_ids)
        return self.matrix[rows, FLAG] == 1.0

    def save(self, folder: Path) -> None:
        np.save(folder / "item_ids.npy", self.item_ids)
        np.save(folder / "item_features.npy", self.matrix[1:])

    @classmethod
    def load(cls, folder: Path) -> ItemTable:
        return cls.from_rows(
            np.load(folder / "item_ids.npy", allow_pickle=False),
            np.load(folder / "item_features.npy", allow_pickle=False),
        )
