{#- Rows whose value is not the customer's order total times `multiplier` (from the source). -#}
{% test is_order_total_times(model, column_name, multiplier) %}

with checked as (
    select * from {{ model }}
),

orders as (
    select * from {{ source('shop', 'raw_orders') }}
),

expected as (
    select
        customer_id,
        sum(amount) * {{ multiplier }} as expected_total
    from orders
    group by customer_id
)

select
    checked.customer_id,
    checked.{{ column_name }},
    expected.expected_total
from checked
left join expected
    on checked.customer_id = expected.customer_id
where expected.expected_total is null
    or checked.{{ column_name }} != expected.expected_total

{% endtest %}
