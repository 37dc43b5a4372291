{%- set c = var('product_views_columns') %}

with source as (
    select * from {{ source('shop', 'product_views') }}
),

mapped as (
    select distinct
        cast({{ c.user_id }} as bigint) as user_id,
        cast({{ c.product_code }} as string) as product_code,
        {{ source_timestamp(c.viewed_at, 'product_views') }} as viewed_at
    from source
),

final as (
    select
        user_id,
        {{ product_id_from_code('product_code') }} as product_id,
        viewed_at
    from mapped
    where user_id is not null and {{ product_code_is_kept('product_code') }}
)

select * from final
