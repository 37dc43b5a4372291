-- Each tested user's test target (their last purchase, held out of everything trained) and the
-- inputs every recommender is asked with: the purchases before it (personalised), and the last
-- of them alone as the seed (seed-item tables), padded like the scoring inputs.
{%- set k = var('sequence_length') - 1 %}

with windows as (
    {{ window_before_purchase(0) | indent(4) }}
),

final as (
    select
        user_id,
        input_product_ids,
        element_at(input_product_ids, -1) as seed_product_id,
        {{ padded_tail('array(element_at(input_product_ids, -1))', 1, k) }}
            as seed_input_product_ids,
        label_product_id as target_product_id
    from windows
)

select * from final
