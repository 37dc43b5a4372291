-- Personalised scoring input: each user's last sequence_length - 1 (11) purchases, left-padded.
{%- set k = var('sequence_length') - 1 %}

with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

final as (
    select
        user_id,
        concat(
            array_repeat(cast(0 as bigint), greatest({{ k }} - purchase_count, 0)),
            slice(product_ids, greatest(purchase_count - {{ k }} + 1, 1), least(purchase_count, {{ k }}))
        ) as input_product_ids,
        purchase_count,
        last_purchased_at
    from histories
)

select * from final
