-- What recs_bought_next_default published, by the day it was scored (macro published_history).
-- full_refresh false: `--full-refresh` scores everyone again, and must not wipe the history.
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by=['scored_date'],
    on_schema_change='fail',
    full_refresh=false,
) }}

{{ published_history('recs_bought_next_default', 'seed_product_id') }}
