-- BTRNN's multi-step feed: int_feed_scored's rows, without the scoring fingerprint.

with scored as (
    select * from {{ ref('int_feed_scored') }}
),

final as (
    select
        user_id,
        step,
        rank,
        product_id,
        score,
        recommender,
        model_version,
        scored_at
    from scored
)

select * from final
