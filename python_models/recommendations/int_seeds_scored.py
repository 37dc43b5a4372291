"""Seed item (onsite, trigger email, search ranking): BTRNN's top-K items bought next after it.

Only seeds with a Word2Vec vector; recs_bought_next_btrnn adds the cold-start fallback in SQL.
"""

from datetime import UTC, datetime

from btrnn.scoring import score_seeds, settings_for_model


def model(dbt, session):
    settings = settings_for_model(
        dbt.config.get, dbt.ref("int_label_vocabulary"), dbt.ref("item_features")
    )
    return score_seeds(dbt.ref("int_scoring_inputs_seeds"), settings, datetime.now(UTC))
