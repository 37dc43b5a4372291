{#
  One window per user with 3+ purchases: the label is the purchase `from_last` places before the
  last one (0: the last, the test target; 1: the validation target), the input the (up to)
  sequence_length - 1 purchases before it, left-padded by macro padded_tail. Reads every
  purchase (int_purchases_ranked), so a test input holds the validation purchase.
  Columns: user_id, label_rank, input_product_ids, label_product_id.
#}
{% macro window_before_purchase(from_last) %}
{%- set n = var('sequence_length') %}
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
{% endmacro %}
