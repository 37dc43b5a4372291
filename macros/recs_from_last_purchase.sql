{#
  A seed-item recommender turned personal: each user gets the seed table's rows for their last
  purchase; a user whose last item has no rows gets the popularity baseline's rows.
#}
{% macro recs_from_last_purchase(seed_recs_model) %}
with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

seed_recs as (
    select * from {{ ref(seed_recs_model) }}
),

popularity_recs as (
    select * from {{ ref('recs_next_order_popularity') }}
),

last_purchases as (
    select
        user_id,
        element_at(product_ids, -1) as last_product_id
    from histories
),

seeded_rows as (
    select
        last_purchases.user_id,
        seed_recs.rank,
        seed_recs.product_id,
        seed_recs.score,
        seed_recs.recommender
    from last_purchases
    inner join seed_recs on last_purchases.last_product_id = seed_recs.seed_product_id
),

fallback_rows as (
    select
        popularity_recs.user_id,
        popularity_recs.rank,
        popularity_recs.product_id,
        popularity_recs.score,
        popularity_recs.recommender
    from popularity_recs
    left anti join seeded_rows on popularity_recs.user_id = seeded_rows.user_id
),

recs as (
    select * from seeded_rows
    union all
    select * from fallback_rows
),

final as (
    select
        user_id,
        cast(rank as int) as rank,
        cast(product_id as bigint) as product_id,
        cast(score as double) as score,
        recommender,
        'baseline' as model_version,
        current_timestamp() as scored_at
    from recs
)

select * from final
{% endmacro %}
