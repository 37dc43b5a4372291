{#- Per key, a higher rank never has a smaller `order_by` value (time; score when descending). -#}
{% test ranks_follow_order(model, column_name, partition_by, order_by, descending=false) %}
with neighbours as (
    select
        {{ partition_by }} as partition_key,
        {{ column_name }} as rank_value,
        {{ order_by }} as order_value,
        lag({{ order_by }}) over (partition by {{ partition_by }} order by {{ column_name }}) as previous_value
    from {{ model }}
)

select *
from neighbours
where order_value {{ '>' if descending else '<' }} previous_value
{% endtest %}
