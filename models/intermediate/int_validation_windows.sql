-- The validation window of each user with 3+ purchases (SPEC "Evaluation protocol"): the label is
-- the validation target, the input the (up to) 11 purchases before it, left-padded like
-- int_training_windows. The trainer picks its best epoch on these.
-- With evaluation_holdout the target is the second-to-last purchase, already held out of the
-- histories (so of Word2Vec, I' and every training window). Without it (production training)
-- the target is the user's last purchase; the trainer leaves that window out of training, while
-- Word2Vec and I' still see the item: there validation only picks the epoch.
{%- set n = var('sequence_length') %}
{%- set from_last = 1 if var('evaluation_holdout') else 0 %}

with ranked as (
    select * from {{ ref('int_purchases_ranked') }}
),

targets as (
    select
        user_id,
        purchase_rank as label_rank,
        product_id as label_product_id
    from ranked
    where purchase_count >= 3 and purchase_rank = purchase_count - {{ from_last }}
),

earlier as (
    select
        targets.user_id,
        targets.label_rank,
        targets.label_product_id,
        transform(
            array_sort(collect_list(struct(ranked.purchase_rank, ranked.product_id))),
            purchase -> purchase.product_id
        ) as product_ids
    from targets
    inner join ranked
        on ranked.user_id = targets.user_id and ranked.purchase_rank < targets.label_rank
    group by targets.user_id, targets.label_rank, targets.label_product_id
),

final as (
    select
        user_id,
        label_rank,
        {{ padded_tail('product_ids', 'label_rank - 1', n - 1) }} as input_product_ids,
        label_product_id
    from earlier
)

select * from final
