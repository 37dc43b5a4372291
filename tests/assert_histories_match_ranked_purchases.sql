-- The history arrays hold exactly the ranked purchases, in rank order (and, with
-- evaluation_holdout, without the held-out ones).

with ranked as (
    select * from {{ ref('int_purchases_ranked') }}
    {%- if var('evaluation_holdout') %}
    where evaluation_split = 'train'
    {%- endif %}
),

histories as (
    select * from {{ ref('int_purchase_histories') }}
),

exploded as (
    select
        histories.user_id,
        exploded.position + 1 as purchase_rank,
        exploded.product_id
    from histories
        lateral view posexplode(histories.product_ids) exploded as position, product_id
)

select
    coalesce(ranked.user_id, exploded.user_id) as user_id,
    ranked.purchase_rank,
    exploded.purchase_rank as history_position
from ranked
full outer join exploded
    on ranked.user_id = exploded.user_id and ranked.purchase_rank = exploded.purchase_rank
where
    ranked.product_id is null
    or exploded.product_id is null
    or ranked.product_id != exploded.product_id
