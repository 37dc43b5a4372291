-- Every source order line, mapped to the standard columns, with the reason staging drops it
-- (null for a purchase). One rule per reason, in one place: stg_shop__orders keeps the lines
-- without a reason, data_quality counts the others.
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
        -- Optional: where the order lines carry the price paid (Online Retail II's Price).
        cast({{ c.get('unit_price') or 'null' }} as double) as unit_price,
        {{ source_timestamp(c.ordered_at, 'orders') }} as ordered_at,
        cast({{ c.quantity }} as double) as quantity,
        -- Null when the source cannot say: such a line is dropped and counted, never taken as
        -- "not cancelled".
        cast({{ c.is_cancelled }} as boolean) as is_cancelled
    from source
),

identified as (
    select
        *,
        {{ product_id_from_code('product_code') }} as product_id
    from mapped
),

final as (
    select
        *,
        case
            when user_id is null then 'guest'
            when is_cancelled then 'cancelled'
            when is_cancelled is null then 'cancellation_unknown'
            when quantity <= 0 then 'quantity_not_positive'
            when not ({{ product_code_is_kept('product_code') }}) then 'pattern_miss'
            when product_id <= 0 then 'invalid_id'
            when ordered_at > current_timestamp() then 'future_date'
        end as drop_reason
    from identified
)

select * from final
