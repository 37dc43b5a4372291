"""The 102-number input vector of every catalogue item (SPEC "Item vectors")."""

from btrnn.features import build_item_features


def model(dbt, session):
    return build_item_features(
        dbt.ref("int_products_catalog"),
        dbt.ref("item_embeddings"),
        vector_size=int(dbt.config.get("word2vec_size")),
    )
