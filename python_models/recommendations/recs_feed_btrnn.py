"""The paper's third use case: a multi-step feed, each step's top item fed back as input."""

from datetime import UTC, datetime

from btrnn.scoring import ScoringSettings, check_model_matches, score_feed


def model(dbt, session):
    settings = ScoringSettings.resolve(
        model_uri=dbt.config.get("model_uri"),
        model_version=dbt.config.get("model_version"),
        invocation_id=dbt.config.get("invocation_id"),
        top_k=dbt.config.get("top_k"),
        batch_size=dbt.config.get("scoring_batch_size"),
    )
    check_model_matches(settings, dbt.ref("int_label_vocabulary"), dbt.ref("item_features"))
    steps = int(dbt.config.get("feed_steps"))
    return score_feed(dbt.ref("int_scoring_inputs_users"), settings, steps, datetime.now(UTC))
