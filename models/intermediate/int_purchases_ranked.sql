-- Each user's purchases ranked 1..m in time. Items of one order share a timestamp and are
-- ordered by a reproducible hash (macro tie_break_key). The sort happens inside the
-- aggregation: Spark does not keep an `order by` through `collect_list` across partitions.

with purchases as (
    select * from {{ ref('stg_shop__orders') }}
),

keyed as (
    select
        user_id,
        order_id,
        product_id,
        ordered_at,
        {{ tie_break_key('user_id', 'order_id', 'product_id') }} as tie_break
    from purchases
),

histories as (
    select
        user_id,
        array_sort(collect_list(struct(ordered_at, tie_break, order_id, product_id))) as purchases
    from keyed
    group by user_id
),

{%- set cap = var('max_history_length') %}

capped as (
    select
        user_id,
        {%- if cap %}
        -- var max_history_length: the oldest purchases beyond it are dropped
        -- (data_quality counts them)
        slice(purchases, greatest(size(purchases) - {{ cap }} + 1, 1), {{ cap }}) as purchases
        {%- else %}
        purchases
        {%- endif %}
    from histories
),

ranked as (
    select
        histories.user_id,
        size(histories.purchases) as purchase_count,
        exploded.position + 1 as purchase_rank,
        exploded.purchase.ordered_at,
        exploded.purchase.order_id,
        exploded.purchase.product_id,
        exploded.purchase.tie_break
    from capped as histories
        lateral view posexplode(histories.purchases) exploded as position, purchase
),

final as (
    select
        *,
        -- Leave-last-out (SPEC): the last purchase tests, the one before validates.
        case
            when purchase_count >= 3 and purchase_rank = purchase_count then 'test'
            when purchase_count >= 3 and purchase_rank = purchase_count - 1 then 'validation'
            else 'train'
        end as evaluation_split
    from ranked
)

select * from final
