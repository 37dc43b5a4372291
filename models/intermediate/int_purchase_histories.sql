-- One ordered history per user: what the windows, the vocabulary and scoring read. With
-- var evaluation_holdout, the held-out purchases are left out here, so nothing trained sees them.

with ranked as (
    select * from {{ ref('int_purchases_ranked') }}
),

trained_purchases as (
    select *
    from ranked
    {%- if var('evaluation_holdout') %}
    where evaluation_split = 'train'
    {%- endif %}
),

final as (
    select
        user_id,
        transform(
            array_sort(collect_list(struct(purchase_rank, product_id))),
            purchase -> purchase.product_id
        ) as product_ids,
        cast(count(*) as int) as purchase_count,
        max(ordered_at) as last_purchased_at
    from trained_purchases
    group by user_id
)

select * from final
