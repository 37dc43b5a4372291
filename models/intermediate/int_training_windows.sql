-- Windows of sequence_length (12) purchases: positions 1..11 are the input, 12 the label.
-- Paper default: sliding windows when m >= 12 (m - 11 of them), else one window aligned to the
-- last purchase and left-padded with product id 0. every_prefix_windows: one window per
-- target position >= 2. Users with a single purchase have no window.
-- The data layer's settings go with the table (macros/model_spec.sql): the trainer records them
-- in the model's spec.
{{ config(tblproperties={'btrnn.data_layer_spec': btrnn_data_layer_spec()}) }}
{%- set n = var('sequence_length') %}

with histories as (
    select * from {{ ref('int_purchase_histories') }}
    where purchase_count >= 2
),

targets as (
    select
        histories.user_id,
        histories.product_ids,
        target.label_rank
    from histories
        lateral view explode(
            {%- if var('every_prefix_windows') %}
            sequence(2, histories.purchase_count)
            {%- else %}
            case
                when
                    histories.purchase_count >= {{ n }}
                    then sequence({{ n }}, histories.purchase_count)
                else array(histories.purchase_count)
            end
            {%- endif %}
        ) target as label_rank
),

windows as (
    select
        user_id,
        label_rank,
        greatest({{ n }} - label_rank, 0) as padded_positions,
        {{ padded_tail('product_ids', 'label_rank', n) }} as window_product_ids
    from targets
),

final as (
    select
        user_id,
        label_rank,
        slice(window_product_ids, 1, {{ n - 1 }}) as input_product_ids,
        element_at(window_product_ids, {{ n }}) as label_product_id,
        padded_positions
    from windows
)

select * from final
