{#- The whole table holds one value of the column (e.g. one model version per scoring run). -#}
{% test one_value_per_run(model, column_name) %}
select count(distinct {{ column_name }}) as distinct_values
from {{ model }}
having count(distinct {{ column_name }}) > 1
{% endtest %}
