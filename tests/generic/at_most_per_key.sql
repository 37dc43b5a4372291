{#- No key has more than `max_rows` rows (top-K tables hold K rows or fewer per key). -#}
{% test at_most_per_key(model, column_name, max_rows) %}
select {{ column_name }}, count(*) as row_count
from {{ model }}
group by {{ column_name }}
having count(*) > {{ max_rows }}
{% endtest %}
