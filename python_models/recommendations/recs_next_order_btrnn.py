"""Personalised (email): each user's top-K items of their immediate next order."""

from datetime import UTC, datetime

from btrnn.scoring import score_users, settings_for_model, spread_for_scoring


def model(dbt, session):
    settings = settings_for_model(
        dbt.ref("int_label_vocabulary"),
        dbt.ref("item_features"),
        invocation_id=dbt.config.get("invocation_id"),
        model_uri=dbt.config.get("model_uri"),
        model_version=dbt.config.get("model_version"),
        top_k=dbt.config.get("top_k"),
        batch_size=dbt.config.get("scoring_batch_size"),
    )
    inputs = spread_for_scoring(
        dbt.ref("int_scoring_inputs_users"), dbt.config.get("scoring_partitions")
    )
    return score_users(inputs, settings, datetime.now(UTC))
