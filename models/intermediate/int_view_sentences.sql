-- Word2Vec sentences: each user's viewed products in view order (ties broken reproducibly).
-- With var evaluation_holdout, views from the first held-out purchase on are left out.

with views as (
    select * from {{ ref('stg_shop__product_views') }}
),

{%- if var('evaluation_holdout') %}

held_out as (
    select
        user_id,
        min(ordered_at) as held_out_from
    from {{ ref('int_purchases_ranked') }}
    where evaluation_split != 'train'
    group by user_id
),

visible_views as (
    select views.*
    from views
    left join held_out on views.user_id = held_out.user_id
    where held_out.held_out_from is null or views.viewed_at < held_out.held_out_from
),
{%- else %}

visible_views as (
    select * from views
),
{%- endif %}

sentences as (
    select
        user_id,
        transform(
            array_sort(collect_list(struct(
                viewed_at,
                {{ tie_break_key('product_id') }},
                product_id
            ))),
            view -> cast(view.product_id as string)
        ) as product_ids
    from visible_views
    group by user_id
),

final as (
    select * from sentences
    where size(product_ids) >= 2
)

select * from final
