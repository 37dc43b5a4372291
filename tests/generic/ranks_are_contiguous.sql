{#- Per key, ranks are exactly 1..n: no gap, no repeat, nothing below 1. -#}
{% test ranks_are_contiguous(model, column_name, partition_by) %}
with ranks as (
    select
        {{ partition_by }} as partition_key,
        count(*) as row_count,
        count(distinct {{ column_name }}) as distinct_ranks,
        min({{ column_name }}) as min_rank,
        max({{ column_name }}) as max_rank
    from {{ model }}
    group by {{ partition_by }}
)

select *
from ranks
where min_rank != 1 or max_rank != row_count or distinct_ranks != row_count
{% endtest %}
