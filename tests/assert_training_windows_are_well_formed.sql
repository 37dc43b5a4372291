-- Every window has sequence_length positions (11 inputs + the label), the label is never a pad,
-- the window's items are the history's consecutive purchases ending at the label.
{%- set n = var('sequence_length') %}

with windows as (
    select * from {{ ref('int_training_windows') }}
),

histories as (
    select * from {{ ref('int_purchase_histories') }}
),

checked as (
    select
        windows.*,
        slice(
            histories.product_ids,
            greatest(windows.label_rank - {{ n - 1 }}, 1),
            least(windows.label_rank, {{ n }})
        ) as expected_items
    from windows
    inner join histories on windows.user_id = histories.user_id
)

select *
from checked
where
    size(input_product_ids) != {{ n - 1 }}
    or label_product_id is null
    or label_product_id = 0
    or size(filter(input_product_ids, p -> p = 0)) != padded_positions
    or concat(
        slice(input_product_ids, padded_positions + 1, {{ n - 1 }} - padded_positions),
        array(label_product_id)
    )
    != expected_items
