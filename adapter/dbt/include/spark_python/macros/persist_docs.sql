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


{#
  Two limits of Spark's session catalog: a partition column's comment cannot be changed
  (CANNOT_ALTER_PARTITION_COLUMN), and the Hive metastore keeps at most 256 characters of a
  column comment (COLUMNS_V2.COMMENT; a longer one fails after ten retries). Partition columns
  are left as they are; a longer comment is cut to 256 characters, with a warning. A comment
  already in place is not set again (an incremental model's table keeps its comments).
#}
{% macro spark_python__alter_column_comment(relation, column_dict) -%}
  {%- set partitioned = config.get('partition_by') or [] -%}
  {%- set partitioned = [partitioned] if partitioned is string else partitioned -%}
  {%- set partitioned = partitioned | map('lower') | list -%}
  {#- The column rows of `describe table` come first, until an empty or '#' row. -#}
  {%- set current = {} -%}
  {%- set listing = namespace(done=false) -%}
  {%- for row in run_query('describe table ' ~ relation).rows -%}
    {%- set listing.done = listing.done or not row[0] or row[0].startswith('#') -%}
    {%- if not listing.done -%}
      {%- do current.update({row[0] | lower: (row[2] or '').strip()}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name, column in column_dict.items() if column.description -%}
    {%- set text = column.description.strip() -%}
    {%- if name | lower in partitioned -%}
      {% do log(relation ~ "." ~ name ~ ": a partition column, its comment is left as it is") %}
    {%- else -%}
      {%- if text | length > 256 -%}
        {% do exceptions.warn(relation ~ "." ~ name ~ ": the description has " ~ text | length ~ " characters; the metastore keeps the first 256") %}
        {%- set text = text[:255] ~ '…' -%}
      {%- endif -%}
      {%- set quoted = adapter.quote(name) if column.quote else name -%}
      {%- if current.get(name | lower) != text -%}
        {% do run_query('alter table ' ~ relation ~ ' change column ' ~ quoted ~ ' comment '
            ~ spark_python__comment_literal(text)) %}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
{%- endmacro %}
