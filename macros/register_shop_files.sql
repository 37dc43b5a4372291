{#
  Registers the shop's files (CSV with a header, or Parquet) as the source tables in `shop_schema`,
  so staging reads them like any warehouse table. A missing optional file (product views,
  products) becomes an empty table with the standard columns.

  Every table made here carries the table property `btrnn.shop_files`; a table in `shop_schema`
  without it belongs to someone else and is never dropped: the run stops and says what to set.
#}
{% macro register_shop_files() %}
  {%- set files = var('shop_files') -%}
  {%- if not execute or files is none or not btrnn_run_reads_shop_data() -%}{{ return('') }}{%- endif -%}
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
  {%- set marker = "tblproperties ('btrnn.shop_files' = 'true')" -%}
  {% do run_query('create schema if not exists ' ~ schema) %}
  {%- if fmt == 'parquet' -%}
    {#- Parquet nanosecond timestamps (pandas' default) read as integers, which source_timestamp()
        decodes; without this Spark refuses the file (PARQUET_TYPE_ILLEGAL TIMESTAMP(NANOS)). -#}
    {% do run_query('set spark.sql.legacy.parquet.nanosAsLong = true') %}
  {%- endif -%}
  {%- set registered = [] -%}
  {%- for table in ['orders', 'product_views', 'products'] -%}
    {%- if adapter.get_relation(database=none, schema=schema, identifier=table) is not none -%}
      {%- set relation = schema ~ '.' ~ table -%}
      {%- set marked = run_query("show tblproperties " ~ relation ~ " ('btrnn.shop_files')") -%}
      {%- set is_marked = marked.rows | length > 0 and marked.rows[0][-1] == 'true' -%}
      {#- Registrations made before the marker existed: an external table over this very file. -#}
      {%- set same_file = files.get(table) and btrnn_table_location(relation).endswith(btrnn_absolute_path(files.get(table)).lstrip('.')) -%}
      {%- if not (is_marked or same_file) -%}
        {{ exceptions.raise_compiler_error("Table " ~ relation ~ " exists and was not registered from shop_files, so it is left alone. To read it as the source, set `shop_files: null`; to register files, point `shop_schema` at a schema of its own. Nothing was built.") }}
      {%- endif -%}
      {%- do registered.append(table) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for table in ['orders', 'product_views', 'products'] -%}
    {%- set path = files.get(table) -%}
    {%- set relation = schema ~ '.' ~ table -%}
    {%- if table in registered -%}
      {% do run_query('drop table ' ~ relation) %}
    {%- endif -%}
    {%- if path -%}
      {%- set options = ["path " ~ sql_string(btrnn_absolute_path(path))] -%}
      {%- if fmt == 'csv' -%}
        {#- Spark's CSV reader options (sep, quote, escape, encoding, ...); a header row by default. -#}
        {%- set csv_options = {'header': 'true'} -%}
        {%- do csv_options.update(files.get('csv_options') or {}) -%}
        {%- for key, value in csv_options.items() -%}
          {%- do options.append(sql_string(key) ~ ' ' ~ sql_string(value)) -%}
        {%- endfor -%}
      {%- endif -%}
      {%- set options = options | join(', ') -%}
      {% do run_query('create table ' ~ relation ~ ' using ' ~ fmt ~ ' options (' ~ options ~ ') ' ~ marker) %}
    {%- else -%}
      {% do run_query('create table ' ~ relation ~ ' (' ~ empty_columns[table] ~ ') using parquet ' ~ marker) %}
    {%- endif -%}
  {%- endfor -%}
{% endmacro %}

{# Whether this run selected anything that reads the shop's source tables, directly or through
   views (staging is views): a run of later models only (re-scoring, one mart) neither registers
   nor re-validates them. #}
{% macro btrnn_run_reads_shop_data() %}
  {%- set to_visit = selected_resources | list -%}
  {%- set seen = [] -%}
  {#- Jinja has no while loop: a walk over at most every node, one node per step. -#}
  {%- for _ in range(graph.nodes | length + 1) -%}
    {%- if not to_visit -%}{{ return(false) }}{%- endif -%}
    {%- set node = graph.nodes.get(to_visit.pop()) -%}
    {%- for parent in (node.depends_on.nodes if node else []) -%}
      {%- if parent.startswith('source.') -%}{{ return(true) }}{%- endif -%}
      {%- set upstream = graph.nodes.get(parent) -%}
      {%- if upstream and upstream.config.materialized in ('view', 'ephemeral') and parent not in seen -%}
        {%- do seen.append(parent) -%}
        {%- do to_visit.append(parent) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(false) }}
{% endmacro %}

{# Relative paths are read from the dbt project's folder, whoever runs dbt from wherever. #}
{% macro btrnn_absolute_path(path) %}
  {%- if path.startswith('/') or '://' in path -%}
    {{- return(path) -}}
  {%- endif -%}
  {{- return(adapter.project_root() ~ '/' ~ path) -}}
{% endmacro %}

{# A table's storage location, as `describe table extended` reports it ('' when it has none). #}
{% macro btrnn_table_location(relation) %}
  {%- for row in run_query('describe table extended ' ~ relation).rows -%}
    {%- if row[0] == 'Location' -%}{{ return(row[1]) }}{%- endif -%}
  {%- endfor -%}
  {{ return('') }}
{% endmacro %}
