{#
  persist_docs for every table format, not only Delta, Hudi and Iceberg as in dbt-spark: Spark
  changes a column's comment on any session-catalog table (`alter table ... change column ...
  comment`), and a table or view comment through its `comment` property. A view's columns are
  not altered: they carry the comments of the columns it selects, so a published view over a
  documented build shows them (table.sql documents the build before it goes live).
#}
{% macro spark_python__persist_docs(relation, model, for_relation, for_columns) -%}
  {%- if for_relation and config.persist_relation_docs() and model.description -%}
    {% do run_query(alter_relation_comment(relation, model.description)) %}
  {%- endif -%}
  {%- if for_columns and config.persist_column_docs() and model.columns and not relation.is_view -%}
    {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {% do alter_column_comment(relation, validate_doc_columns(relation, model.columns, existing)) %}
  {%- endif -%}
{%- endmacro %}


{% macro spark_python__comment_literal(text) -%}
  '{{ text | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}


{% macro spark_python__alter_relation_comment(relation, relation_comment) -%}
  alter {{ 'view' if relation.is_view else 'table' }} {{ relation }}
  set tblproperties ('comment' = {{ spark_python__comment_literal(relation_comment) }})
{%- endmacro %}


{% macro spark_python__alter_column_comment(relation, column_dict) -%}
  {%- for name, column in column_dict.items() if column.description -%}
    {%- set quoted = adapter.quote(name) if column.quote else name -%}
    {% do run_query('alter table ' ~ relation ~ ' change column ' ~ quoted ~ ' comment '
        ~ spark_python__comment_literal(column.description)) %}
  {%- endfor -%}
{%- endmacro %}
