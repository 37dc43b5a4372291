{#-
  The body of a recs_*_history model: what was recommended to whom, when. The rows a *_default
  view published, by the day they were scored (incremental, insert_overwrite by scored_date).

  A run writes only the newest day among the published rows (today's, when it scored anything):
  that partition becomes the rows of that day still published, i.e. the day's last version of
  each key's rows. Earlier days are never rewritten: a row that incremental scoring kept is
  already in the partition of the day it was scored, and rows replaced since live on there.
-#}
{% macro published_history(published_model, key) %}
with published as (
    select * from {{ ref(published_model) }}
),

{% if is_incremental() %}
    newest_day as (
        select max(to_date(scored_at)) as scored_date
        from published
    ),
{% endif %}

final as (
    select
        published.{{ key }},
        published.rank,
        published.product_id,
        published.score,
        published.recommender,
        published.model_version,
        published.scored_at,
        to_date(published.scored_at) as scored_date
    from published
    {% if is_incremental() %}
        inner join newest_day on to_date(published.scored_at) = newest_day.scored_date
    {% endif %}
)

select * from final
{% endmacro %}
