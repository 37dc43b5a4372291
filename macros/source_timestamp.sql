{#
  A mapped source column as a timestamp. Text and timestamps are cast (ISO 8601; a value with a
  zone offset is converted to UTC, the session time zone). A column that holds integers is read
  as epoch time in the unit its size says (seconds, milliseconds, microseconds, nanoseconds:
  unambiguous for dates between 1973 and 5138): Parquet files written by pandas store
  nanosecond timestamps, which Spark cannot read as timestamps and reads as integers
  (register_shop_files sets spark.sql.legacy.parquet.nanosAsLong).
#}
{% macro source_timestamp(expression, table) %}
  {%- if btrnn_is_integer_column(expression, table) -%}
    case
        when abs({{ expression }}) >= 100000000000000000 then timestamp_micros({{ expression }} div 1000)
        when abs({{ expression }}) >= 100000000000000 then timestamp_micros({{ expression }})
        when abs({{ expression }}) >= 100000000000 then timestamp_millis({{ expression }})
        else timestamp_seconds({{ expression }})
    end
  {%- else -%}
    cast({{ expression }} as timestamp)
  {%- endif -%}
{% endmacro %}

{# Whether the mapping names one column of the shop's source table whose type is an integer. #}
{% macro btrnn_is_integer_column(expression, table) %}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- set name = expression | trim | replace('`', '') | lower -%}
  {%- for column in btrnn_source_columns(table) if column.name | lower == name -%}
    {{ return(column.data_type | lower in ('bigint', 'int', 'smallint', 'tinyint', 'long', 'integer')) }}
  {%- endfor -%}
  {{ return(false) }}
{% endmacro %}

{# The columns of one of the shop's source tables (none when it does not exist). #}
{% macro btrnn_source_columns(table) %}
  {#- Not adapter.get_relation: its cache predates the tables the run-start hook registers. -#}
  {{ return(adapter.get_columns_in_relation(api.Relation.create(schema=var('shop_schema'), identifier=table))) }}
{% endmacro %}
