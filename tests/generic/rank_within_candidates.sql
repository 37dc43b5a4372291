{#- A full-ranking rank lies in 1..(number of candidates) (SPEC "Evaluation protocol"). -#}
{% test rank_within_candidates(model, column_name, candidates) %}
select *
from {{ model }}
where {{ column_name }} < 1
    or {{ column_name }} > (select count(*) from {{ candidates }})
{% endtest %}
