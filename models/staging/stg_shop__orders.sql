-- Purchases only: the order lines without a drop reason (stg_shop__order_lines says why the
-- others go: guests, cancellations, quantity <= 0, non-merchandise codes, invalid ids, future
-- dates). Grain: one row per (user, order, product); repeat lines of one product in one order are
-- one purchase (the tie-break hashes exactly this key), repeat purchases in other orders stay.

with order_lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

purchases as (
    select * from order_lines
    where drop_reason is null
),

final as (
    select
        user_id,
        order_id,
        product_id,
        product_code,
        max(product_name) as product_name,
        min(ordered_at) as ordered_at,
        avg(unit_price) as unit_price,
        sum(quantity) as quantity
    from purchases
    group by user_id, order_id, product_id, product_code
)

select * from final
