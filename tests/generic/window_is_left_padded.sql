{#- Padding (product id 0) only on the left: no real item is followed by a pad. -#}
{% test window_is_left_padded(model, column_name) %}
select *
from {{ model }}
where exists(
    sequence(1, size({{ column_name }}) - 1),
    i -> element_at({{ column_name }}, i) != 0 and element_at({{ column_name }}, i + 1) = 0
)
{% endtest %}
