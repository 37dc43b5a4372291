{#
  Registers the shop's files (CSV with a header, or Parquet) as the source tables in `shop_schema`,
  so staging reads them like any warehouse table. A missing optional file (product views,
  products) becomes an empty table with the standard columns.
#}
{% macro register_shop_files() %}
  {%- set files = var('shop_files') -%}
  {%- if not execute or files is none -%}{{ return('') }}{%- endif -%}
  {%- set schema = var('shop_schema') -%}
  {%- set fmt = files.get('format', 'csv') -%}
  {%- if fmt not in ('csv', 'parquet') -%}
    {{ exceptions.raise_compiler_error("var shop_files.format must be csv or parquet, got '" ~ fmt ~ "'") }}
  {%- endif -%}
  {%- if not files.get('orders') -%}
    {{ exceptions.raise_compiler_error("var shop_files needs an `orders` path: the purchases are required.") }}
  {%- endif -%}
  {%- set empty_columns = {
      'product_views': 'user_id bigint, product_id bigint, viewed_at timestamp',
      'products': 'product_id bigint, name string, category string, price double, created_at timestamp',
  } -%}
  {% do run_query('create schema if not exists ' ~ schema) %}
  {%- for table in ['orders', 'product_views', 'products'] -%}
    {%- set path = files.get(table) -%}
    {% do run_query('drop table if exists ' ~ schema ~ '.' ~ table) %}
    {%- if path -%}
      {%- set options = "path '" ~ btrnn_absolute_path(path) ~ "'" ~ (", header 'true'" if fmt == 'csv' else '') -%}
      {% do run_query('create table ' ~ schema ~ '.' ~ table ~ ' using ' ~ fmt ~ ' options (' ~ options ~ ')') %}
    {%- else -%}
      {% do run_query('create table ' ~ schema ~ '.' ~ table ~ ' (' ~ empty_columns[table] ~ ') using parquet') %}
    {%- endif -%}
  {%- endfor -%}
{% endmacro %}

{# Relative paths are read from the project folder (BTRNN_PROJECT_DIR, set by the btrnn CLI). #}
{% macro btrnn_absolute_path(path) %}
  {%- if path.startswith('/') or '://' in path -%}
    {{- return(path) -}}
  {%- endif -%}
  {{- return(env_var('BTRNN_PROJECT_DIR', '.') ~ '/' ~ path) -}}
{% endmacro %}
