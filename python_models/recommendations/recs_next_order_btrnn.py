"""Personalised (email): each user's top-K items of their immediate next order."""

from datetime import UTC, datetime

from btrnn.scoring import score_users, settings_for_model


def model(dbt, session):
    settings = settings_for_model(
        dbt.config.get, dbt.ref("int_label_vocabulary"), dbt.ref("item_features")
    )
    return score_users(dbt.ref("int_scoring_inputs_users"), settings, datetime.now(UTC))
