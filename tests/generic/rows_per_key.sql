{#- Every key of `of` has exactly `rows` rows in the model: none left out, none twice. -#}
{% test rows_per_key(model, key, rows, of) %}
select keys.{{ key }}, count(model_rows.{{ key }}) as row_count
from {{ of }} as keys
left join {{ model }} as model_rows on keys.{{ key }} = model_rows.{{ key }}
group by keys.{{ key }}
having count(model_rows.{{ key }}) != {{ rows }}
{% endtest %}
