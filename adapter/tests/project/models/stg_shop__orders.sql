with source as (
    select * from {{ source('shop', 'raw_orders') }}
),

final as (
    select
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(amount as bigint) as amount
    from source
)

select * from final
