"""Personalised (email): each user's top-K items of their immediate next order, with the hash
of what they were scored from; recs_next_order_btrnn publishes them.

Incremental (btrnn.rescoring): only users whose input or model changed are scored again.
"""

from datetime import UTC, datetime

from btrnn.rescoring import previous_scores, score_changed, scored_input
from btrnn.scoring import score_users, settings_for_model, spread_for_scoring


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
    return score_changed(
        dbt.ref("int_scoring_inputs_users"),
        previous,
        "user_id",
        scored_input(settings),
        lambda changed: score_users(
            spread_for_scoring(changed, partitions), settings, datetime.now(UTC)
        ),
    )
