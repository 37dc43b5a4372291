-- Every product the shop sold or lists, with what people need to read recommendations.

with purchases as (
    select * from {{ ref('stg_shop__orders') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

sold as (
    select
        product_id,
        max(product_code) as product_code,
        max(product_name) as product_name,
        -- The typical price paid, for shops whose order lines carry prices but no catalogue.
        median(unit_price) as unit_price,
        count(*) as purchase_count
    from purchases
    group by product_id
),

final as (
    select
        coalesce(products.product_id, sold.product_id) as product_id,
        coalesce(products.product_code, sold.product_code) as product_code,
        coalesce(products.product_name, sold.product_name) as product_name,
        products.category,
        coalesce(products.price, sold.unit_price) as price,
        coalesce(sold.purchase_count, 0) as purchase_count
    from products
    full outer join sold on products.product_id = sold.product_id
)

select * from final
