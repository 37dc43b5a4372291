"""The Word2Vec similarity baseline: for every item with a vector, the K nearest items of I'."""

from btrnn.similarity import word2vec_neighbours


def model(dbt, session):
    return word2vec_neighbours(
        dbt.ref("item_embeddings"),
        dbt.ref("int_label_vocabulary"),
        k=int(str(dbt.config.get("top_k"))),
    )
