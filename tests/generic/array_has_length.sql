{% test array_has_length(model, column_name, length) %}
select *
from {{ model }}
where size({{ column_name }}) != {{ length }}
{% endtest %}
