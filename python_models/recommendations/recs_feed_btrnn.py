"""The paper's third use case: a multi-step feed, each step's top item fed back as input."""

from datetime import UTC, datetime

from btrnn.scoring import score_feed, settings_for_model


def model(dbt, session):
    settings = settings_for_model(
        dbt.config.get, dbt.ref("int_label_vocabulary"), dbt.ref("item_features")
    )
    steps = int(dbt.config.get("feed_steps"))
    return score_feed(dbt.ref("int_scoring_inputs_users"), settings, steps, datetime.now(UTC))
