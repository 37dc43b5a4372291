-- The popularity baseline (SPEC "Baselines"): every user gets the K items of I' bought most
-- often in the training histories. The floor any personalised recommender has to beat.
{%- set k = var('top_k') %}

with users as (
    select * from {{ ref('int_scoring_inputs_users') }}
),

popularity as (
    select * from {{ ref('int_item_popularity') }}
),

top_items as (
    select * from popularity
    where popularity_rank <= {{ k }}
),

final as (
    select
        users.user_id,
        cast(top_items.popularity_rank as int) as rank,
        cast(top_items.product_id as bigint) as product_id,
        cast(top_items.purchase_share as double) as score,
        'popularity' as recommender,
        'baseline' as model_version,
        current_timestamp() as scored_at
    from users
    cross join top_items
)

select * from final
