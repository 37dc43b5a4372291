-- BTRNN's personalised table (email): int_users_scored's rows, without the scoring fingerprint.

with scored as (
    select * from {{ ref('int_users_scored') }}
),

final as (
    select
        user_id,
        rank,
        product_id,
        score,
        recommender,
        model_version,
        scored_at
    from scored
)

select * from final
