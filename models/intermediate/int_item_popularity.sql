-- How often each item of I' was bought (training histories): the popularity recommender and
-- the prior that smooths co-occurrence.

with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

vocabulary as (
    select * from {{ ref('int_label_vocabulary') }}
),

purchases as (
    select
        exploded.product_id,
        count(*) as purchase_count
    from histories
        lateral view explode(histories.product_ids) exploded as product_id
    group by exploded.product_id
),

final as (
    select
        vocabulary.product_id,
        purchases.purchase_count,
        purchases.purchase_count / sum(purchases.purchase_count) over () as purchase_share,
        row_number()
            over (order by purchases.purchase_count desc, vocabulary.product_id asc)
            as popularity_rank
    from vocabulary
    inner join purchases on vocabulary.product_id = purchases.product_id
)

select * from final
