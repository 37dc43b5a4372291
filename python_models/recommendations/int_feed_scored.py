"""The paper's multi-step feed, each step's top item fed back as input, with the hash of what
each user was scored from; recs_feed_btrnn publishes it.

Incremental (btrnn.rescoring): only users whose input, model or steps changed are fed again.
"""

from datetime import UTC, datetime

from btrnn.rescoring import previous_scores, score_changed, scored_input
from btrnn.scoring import score_feed, settings_for_model, spread_for_scoring


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
    steps = int(dbt.config.get("feed_steps"))
    partitions = dbt.config.get("scoring_partitions")
    previous = previous_scores(session, dbt, dbt.config.get("incremental_scoring"))
    return score_changed(
        dbt.ref("int_scoring_inputs_users"),
        previous,
        "user_id",
        scored_input(settings, steps),
        lambda changed: score_feed(
            spread_for_scoring(changed, partitions), settings, steps, datetime.now(UTC)
        ),
    )
