"""Seed item (onsite, trigger email, search ranking): the top-K items bought next after it.

Seeds without a Word2Vec vector fall back to the co-occurrence recommender (SPEC cold start).
"""

from datetime import UTC, datetime

from btrnn.scoring import ScoringSettings, score_seeds


def model(dbt, session):
    settings = ScoringSettings.resolve(
        model_uri=dbt.config.get("model_uri"),
        model_version=dbt.config.get("model_version"),
        top_k=dbt.config.get("top_k"),
        batch_size=dbt.config.get("scoring_batch_size"),
    )
    return score_seeds(
        dbt.ref("int_scoring_inputs_seeds"),
        dbt.ref("recs_bought_next_cooccurrence"),
        settings,
        datetime.now(UTC),
    )
