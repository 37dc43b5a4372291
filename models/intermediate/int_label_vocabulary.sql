-- I': every item bought at rank >= 2 by some user. Output column `label_index` of the model is
-- this item; the mapping ships with the model artifact.

with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

labels as (
    select
        exploded.product_id,
        count(*) as label_count
    from histories
        lateral view posexplode(histories.product_ids) exploded as position, product_id
    where exploded.position >= 1
    group by exploded.product_id
),

final as (
    select
        product_id,
        cast(row_number() over (order by product_id) - 1 as int) as label_index,
        label_count
    from labels
)

select * from final
