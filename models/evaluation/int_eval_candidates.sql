-- The candidates every recommender is ranked against (SPEC): every item of the training
-- portion. A recommender that cannot publish the target ranks it last (rank = candidates).

with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

final as (
    select distinct exploded.product_id
    from histories
        lateral view explode(histories.product_ids) exploded as product_id
)

select * from final
