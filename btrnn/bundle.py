"""The files of one model version: what training writes and what scoring loads.

model_config.json   the architecture's settings (the architecture itself is code: btrnn.model)
weights.weights.h5  the trained weights
labels.npy          I': product id of each output column
item_ids.npy, item_features.npy   the item vectors the model was trained with
metadata.json       feature spec, Word2Vec version, training metrics, data sizes, versions
The store adds manifest.json with every file's sha256 (btrnn.artifacts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from btrnn.items import ItemTable

# Keras loads in seconds: imported where a model is built or read, so that importing this module
# (every `btrnn` command's parser reaches it through the evaluation's config) stays instant.
if TYPE_CHECKING:
    import keras

    from btrnn.model import ModelConfig

CONFIG_FILE = "model_config.json"
WEIGHTS_FILE = "weights.weights.h5"
LABELS_FILE = "labels.npy"
METADATA_FILE = "metadata.json"


@dataclass
class ModelBundle:
    config: ModelConfig
    labels: np.ndarray  # (n_labels,) int64 product ids, by output column
    items: ItemTable
    metadata: dict[str, Any]

    def write(self, folder: Path, model: keras.Model) -> None:
        from btrnn.model import save_weights

        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_FILE).write_text(self.config.to_json())
        save_weights(model, folder / WEIGHTS_FILE)
        np.save(folder / LABELS_FILE, self.labels.astype(np.int64))
        self.items.save(folder)
        (folder / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, sort_keys=True))

    @classmethod
    def read(cls, folder: Path) -> ModelBundle:
        from btrnn.model import ModelConfig

        return cls(
            config=ModelConfig.from_json((folder / CONFIG_FILE).read_text()),
            labels=np.load(folder / LABELS_FILE, allow_pickle=False),
            items=ItemTable.load(folder),
            metadata=json.loads((folder / METADATA_FILE).read_text()),
        )

    def load_model(self, folder: Path) -> keras.Model:
        from btrnn.model import load_model

        return load_model(self.config, folder / WEIGHTS_FILE)
