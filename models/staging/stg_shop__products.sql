{%- set c = var('products_columns') %}

with source as (
    select * from {{ source('shop', 'products') }}
),

mapped as (
    select
        cast({{ c.product_code }} as string) as product_code,
        cast({{ c.name }} as string) as product_name,
        cast({{ c.category }} as string) as category,
        cast({{ c.price }} as double) as price,
        {{ source_timestamp(c.created_at, 'products') }} as created_at
    from source
),

final as (
    select
        {{ product_id_from_code('product_code') }} as product_id,
        product_code,
        max(product_name) as product_name,
        max(category) as category,
        max(price) as price,
        min(created_at) as created_at
    from mapped
    where {{ product_code_is_kept('product_code') }}
    group by product_code
)

select * from final
