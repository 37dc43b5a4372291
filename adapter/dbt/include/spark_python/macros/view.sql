{#
  Spark runs `create or replace view` as a drop and a create, so a reader can miss the view in
  between. When the view exists, `alter view ... as` replaces its query in one metastore update
  instead; an enforced contract is checked first, as on create. Its columns then carry the
  comments of the columns it selects (persist_docs documents the tables underneath); only a new
  view gets persist_docs' column list.
#}
{% macro spark_python__create_view_as(relation, sql) -%}
  {%- set existing = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- if existing is not none and existing.is_view -%}
    {%- if config.get('contract').enforced -%}
      {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}
    alter view {{ relation }} as
    {{ sql }}
  {%- else -%}
    {{ spark__create_view_as(relation, sql) }}
  {%- endif -%}
{%- endmacro %}
