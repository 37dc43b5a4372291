-- "Bought right after": how often item j is a user's next purchase after item i (training
-- histories, consecutive ranks, j != i). Directional, like the question BTRNN answers.

with histories as (
    select * from {{ ref('int_purchase_histories') }}
    where purchase_count >= 2
),

steps as (
    select
        element_at(histories.product_ids, step.position) as seed_product_id,
        element_at(histories.product_ids, step.position + 1) as next_product_id
    from histories
        lateral view explode(sequence(1, histories.purchase_count - 1)) step as position
),

final as (
    select
        seed_product_id,
        next_product_id,
        count(*) as pair_count
    from steps
    where seed_product_id != next_product_id
    group by seed_product_id, next_product_id
)

select * from final
