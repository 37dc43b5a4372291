"""Word2Vec item vectors (Spark ML), from view sentences or, without views, purchase histories."""

from btrnn.features import Word2VecConfig, fit_item_embeddings


def model(dbt, session):
    config = Word2VecConfig(
        vector_size=int(dbt.config.get("word2vec_size")),
        window_size=int(dbt.config.get("word2vec_window")),
        seed=int(dbt.config.get("word2vec_seed")),
        max_iter=int(dbt.config.get("word2vec_max_iter")),
        min_count=int(dbt.config.get("word2vec_min_count")),
    )
    return fit_item_embeddings(
        dbt.ref("int_view_sentences"), dbt.ref("int_purchase_histories"), config
    )
