-- Personalised scoring input: each user's last sequence_length - 1 (11) purchases, left-padded.
{%- set k = var('sequence_length') - 1 %}

with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

final as (
    select
        user_id,
        {{ padded_tail('product_ids', 'purchase_count', k) }} as input_product_ids,
        purchase_count,
        last_purchased_at
    from histories
)

select * from final
