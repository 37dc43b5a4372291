"""Incremental scoring: a scoring model re-scores only the keys whose rows could have changed.

A key's rows (a user's top-K, a seed's, a user's feed) depend on nothing but its 11-item input,
the model (by its manifest checksum, not its name) and the scoring settings:
`check_model_matches` refuses a model whose items or item vectors differ from the warehouse's.
So each scored row carries a hash of all of them (`scored_input`); the next run keeps the
previous rows of every key whose hash is unchanged and scores the others: users with purchases
since, new users and items, and everyone after a new model or a change of K. Keys no longer in
the input are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from btrnn.scoring import ScoringSettings

SCORED_INPUT = "scored_input"


def scored_input(settings: ScoringSettings, *more: object) -> Column:
    """The hash of what a key's rows depend on: its input, the model (its manifest checksum), K
    and `more` (the feed's steps). 64-bit xxhash: a changed input keeping its hash is a 2^-64
    chance."""
    model = settings.model_checksum or settings.model_version
    settings_parts = (model, settings.top_k, *more)
    return F.xxhash64(F.col("input_product_ids"), *(F.lit(str(part)) for part in settings_parts))


def previous_scores(session: SparkSession, dbt: Any, incremental: object) -> DataFrame | None:
    """The model's own table as the last run left it, if scoring may build on it: not with var
    incremental_scoring false (`incremental`, the model's config; the caller names the key, as
    dbt ships a Python model only the config keys its source names) or under --full-refresh
    (`dbt.full_refresh`, set by this project's adapter). A table from before incremental
    scoring (no `scored_input` column) is not reused.
    """
    name = str(dbt.this)
    if str(incremental).strip().lower() != "true" or getattr(dbt, "full_refresh", False):
        return None
    if not session.catalog.tableExists(name):
        return None
    previous = session.table(name)
    return previous if SCORED_INPUT in previous.columns else None


def score_changed(
    inputs: DataFrame,
    previous: DataFrame | None,
    key: str,
    fingerprint: Column,
    score: Callable[[DataFrame], DataFrame],
) -> DataFrame:
    """`score` applied to the keys whose fingerprint differs from their previous rows'; the
    previous rows of the others, as they were (scored_at included: when they were computed)."""
    inputs = inputs.withColumn(SCORED_INPUT, fingerprint)
    if previous is None:
        changed, kept = inputs, None
    else:
        current = inputs.select(key, SCORED_INPUT)
        unchanged = current.join(
            previous.select(key, SCORED_INPUT).distinct(), [key, SCORED_INPUT], "left_semi"
        )
        kept = previous.join(unchanged, [key, SCORED_INPUT], "left_semi")
        changed = inputs.join(unchanged, [key], "left_anti")
    scored = score(changed.drop(SCORED_INPUT)).join(changed.select(key, SCORED_INPUT), [key])
    return scored if kept is None else scored.unionByName(kept)
