-- Purchases only: no guests, no cancellations, no quantity <= 0, no non-merchandise codes.
-- Grain: one row per (user, order, product); repeat lines of one product in one order are one
-- purchase (the tie-break hashes exactly this key), while repeat purchases in other orders stay.
{%- set c = var('orders_columns') %}

with source as (
    select * from {{ source('shop', 'orders') }}
),

mapped as (
    select
        cast({{ c.user_id }} as bigint) as user_id,
        cast({{ c.order_id }} as string) as order_id,
        cast({{ c.product_code }} as string) as product_code,
        cast({{ c.product_name }} as string) as product_name,
        cast({{ c.ordered_at }} as timestamp) as ordered_at,
        cast({{ c.quantity }} as double) as quantity,
        coalesce(cast({{ c.is_cancelled }} as boolean), false) as is_cancelled
    from source
),

purchases as (
    select
        *,
        {{ product_id_from_code('product_code') }} as product_id
    from mapped
    where
        user_id is not null
        and not is_cancelled
        and quantity > 0
        and {{ product_code_is_kept('product_code') }}
),

final as (
    select
        user_id,
        order_id,
        product_id,
        product_code,
        max(product_name) as product_name,
        min(ordered_at) as ordered_at,
        sum(quantity) as quantity
    from purchases
    group by user_id, order_id, product_id, product_code
)

select * from final
