"""Seeded shop data for btrnn: a sports shop whose customers' children grow up.

Each user follows a favourite team and buys forward through the life stages (baby -> toddler ->
youth -> adult, never back), as in the paper's pacifier-clip example, with the noise real order
data has: random popular items, repeats, multi-item orders, cancellations, guests, duplicates.

- `rules`: the config, sizes and every rate, the catalogue (one place for both engines).
- `sample`: `generate`, the in-memory engine that writes data/sample byte for byte.
- `stream`: `write_shop`, the same rules vectorised per block of users, written chunk by chunk
  (CSV or Parquet) in bounded memory, for paper scale (`PRESETS["paper"]`).
"""

from __future__ import annotations

from pathlib import Path

from btrnn.generate.rules import PRESETS, STAGES, GeneratorConfig, configure
from btrnn.generate.sample import generate
from btrnn.generate.stream import write_shop

SAMPLE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "sample"
DEFAULT_CONFIG = GeneratorConfig()

__all__ = [
    "DEFAULT_CONFIG",
    "PRESETS",
    "SAMPLE_DIR",
    "STAGES",
    "GeneratorConfig",
    "configure",
    "generate",
    "write_shop",
]
