"""Seed item (onsite, trigger email, search ranking): BTRNN's top-K items bought next after it.

Only seeds with a Word2Vec vector; recs_bought_next_btrnn adds the cold-start fallback in SQL.
Incremental (btrnn.rescoring): a seed's input never changes, so only new seeds are scored,
unless the model or K changed.
"""

from datetime import UTC, datetime

from btrnn.rescoring import previous_scores, score_changed, scored_input
from btrnn.scoring import score_seeds, settings_for_model, spread_for_scoring


def model(dbt, session):
    settings = settings_for_model(
        dbt.ref("int_label_vocabulary"),
        dbt.ref("item_features"),
        invocation_id=dbt.config.get("invocation_id"),
        sequence_length=dbt.config.get("sequence_length"),
        model_uri=dbt.config.get("model_uri"),
        model_version=dbt.config.get("model_version"),
        top_k=dbt.config.get("top_k"),
        batch_size=dbt.config.get("scoring_batch_size"),
    )
    partitions = dbt.config.get("scoring_partitions")
    previous = previous_scores(session, dbt, dbt.config.get("incremental_scoring"))
    # Seeds without a vector are the fallback's: left out here, they never load a model.
    with_vector = dbt.ref("item_features").where("has_vector").select("product_id")
    seeds = dbt.ref("int_scoring_inputs_seeds").join(
        with_vector.withColumnRenamed("product_id", "seed_product_id"),
        "seed_product_id",
        "left_semi",
    )
    return score_changed(
        seeds,
        previous,
        "seed_product_id",
        scored_input(settings),
        lambda changed: score_seeds(
            spread_for_scoring(changed, partitions), settings, datetime.now(UTC)
        ),
    )
