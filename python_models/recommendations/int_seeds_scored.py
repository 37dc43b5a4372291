"""Seed item (onsite, trigger email, search ranking): BTRNN's top-K items bought next after it.

Only seeds with a Word2Vec vector; recs_bought_next_btrnn adds the cold-start fallback in SQL.
"""

from datetime import UTC, datetime

from btrnn.scoring import ScoringSettings, check_model_matches, score_seeds


def model(dbt, session):
    settings = ScoringSettings.resolve(
        model_uri=dbt.config.get("model_uri"),
        model_version=dbt.config.get("model_version"),
        invocation_id=dbt.config.get("invocation_id"),
        top_k=dbt.config.get("top_k"),
        batch_size=dbt.config.get("scoring_batch_size"),
    )
    check_model_matches(settings, dbt.ref("int_label_vocabulary"), dbt.ref("item_features"))
    return score_seeds(dbt.ref("int_scoring_inputs_seeds"), settings, datetime.now(UTC))
