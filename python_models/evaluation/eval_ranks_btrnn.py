"""BTRNN's rank of each tested user's target, computed where the scores are: in the scoring
call on the executors, so one number per user and use leaves a worker. Both published uses:
personalised (recs_next_order_btrnn's inputs) and seed-item (int_seeds_scored's: the last item
alone, never recommended itself; seeds without a vector are eval_target_ranks' fallback).
"""

from btrnn.scoring import rank_test_targets, settings_for_model, spread_for_scoring


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
    tests = spread_for_scoring(
        dbt.ref("int_eval_test_inputs"), dbt.config.get("scoring_partitions")
    )
    return rank_test_targets(tests, settings, dbt.ref("int_eval_candidates").count())
