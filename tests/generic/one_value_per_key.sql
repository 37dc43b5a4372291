{#- Every row of a key holds the same value of the column (e.g. one scored_input per user). -#}
{% test one_value_per_key(model, column_name, key) %}
select {{ key }}, count(distinct {{ column_name }}) as distinct_values
from {{ model }}
group by {{ key }}
having count(distinct {{ column_name }}) > 1
{% endtest %}
