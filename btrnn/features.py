"""Item vectors (SPEC "Item vectors"): Word2Vec on view sentences, then the 102 numbers.

[0] 1.0 if the item has a Word2Vec vector, [1] product_id / max(product_id), [2..] the vector
(zeros without one). A padding position is all zeros. Spark does the work; nothing is collected.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from btrnn.items import VECTOR_START


@dataclass(frozen=True)
class Word2VecConfig:
    """Spark ML Word2Vec settings: the paper's window 5 and size 100, Spark's other defaults.

    `max_iter` (passes over the sentences) and `min_count` (fewer occurrences: no vector) default
    to Spark's 1 and 5 here; the project's vars word2vec_max_iter / word2vec_min_count (5 and 1,
    dbt_project.yml) set them for every build.
    """

    vector_size: int = 100
    window_size: int = 5
    seed: int = 42
    max_iter: int = 1
    min_count: int = 5

    @property
    def feature_length(self) -> int:
        return VECTOR_START + self.vector_size


def embedding_sentences(
    view_sentences: DataFrame, purchase_histories: DataFrame
) -> tuple[DataFrame, str]:
    """The sentences Word2Vec learns from: views where the shop has any, else purchases."""
    if not view_sentences.isEmpty():
        return view_sentences.select("product_ids"), "views"
    sentences = purchase_histories.where(F.size("product_ids") >= 2).select(
        F.transform("product_ids", lambda p: p.cast("string")).alias("product_ids")
    )
    return sentences, "purchases"


def fit_item_embeddings(
    view_sentences: DataFrame, purchase_histories: DataFrame, config: Word2VecConfig
) -> DataFrame:
    """product_id, vector (array<float>), sentence_source: one row per item Word2Vec kept."""
    from pyspark.ml.feature import Word2Vec

    sentences, source = embedding_sentences(view_sentences, purchase_histories)
    word2vec = Word2Vec(
        vectorSize=config.vector_size,
        windowSize=config.window_size,
        seed=config.seed,
        maxIter=config.max_iter,
        minCount=config.min_count,
        inputCol="product_ids",
        outputCol="sentence_vector",
    )
    vectors = word2vec.fit(sentences).getVectors()
    return vectors.select(
        F.col("word").cast("bigint").alias("product_id"),
        _vector_to_floats(F.col("vector")).alias("vector"),
        F.lit(source).alias("sentence_source"),
    )


def _vector_to_floats(vector: Column) -> Column:
    from pyspark.ml.functions import vector_to_array

    return vector_to_array(vector, dtype="float32")


def build_item_features(catalog: DataFrame, embeddings: DataFrame, vector_size: int) -> DataFrame:
    """product_id, has_vector, features (array<float> of 2 + vector_size): every catalog item."""
    row = catalog.agg(F.max("product_id")).first()
    max_id = row[0] if row is not None else None
    if max_id is None:
        raise ValueError(
            "The product catalogue is empty: there are no purchases to build items from."
        )
    zeros = F.array_repeat(F.lit(0.0).cast("float"), vector_size)
    has_vector = F.col("vector").isNotNull()
    return (
        catalog.select("product_id")
        .join(embeddings.select("product_id", "vector"), "product_id", "left")
        .select(
            "product_id",
            has_vector.alias("has_vector"),
            F.concat(
                F.array(
                    F.when(has_vector, 1.0).otherwise(0.0).cast("float"),
                    (F.col("product_id") / F.lit(max_id)).cast("float"),
                ),
                F.coalesce(F.col("vector"), zeros),
            ).alias("features"),
        )
    )
