-- Seed-item scoring input (onsite, trigger email, search ranking): 10 pads, then the seed.
{%- set k = var('sequence_length') - 1 %}

with catalog as (
    select * from {{ ref('int_products_catalog') }}
),

final as (
    select
        product_id as seed_product_id,
        {{ padded_tail('array(product_id)', 1, k) }} as input_product_ids
    from catalog
)

select * from final
