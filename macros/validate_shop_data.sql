{#
  Fails the run before any model is built when source rows cannot be read (a value that does not
  parse as the type its column needs), naming the table, the file, a few rows and what to do.
  Failing here leaves every published table as it was.
#}
{% macro validate_shop_data() %}
  {%- if not execute or flags.WHICH not in ('build', 'run') or not btrnn_run_reads_shop_data() -%}
    {{ return('') }}
  {%- endif -%}
  {{ btrnn_check_code_pattern() }}
  {%- set o = var('orders_columns') -%}
  {%- set v = var('product_views_columns') -%}
  {%- set p = var('products_columns') -%}
  {%- set checks = {
      'orders': {
        'mapping': 'orders_columns',
        'describe': "concat('order ', cast(" ~ o.order_id ~ " as string), ', user ', coalesce(cast(" ~ o.user_id ~ " as string), '(guest)'))",
        'problems': [
          ('user_id', o.user_id, o.user_id ~ ' is not null and cast(' ~ o.user_id ~ ' as bigint) is null'),
          ('ordered_at', o.ordered_at, '(' ~ source_timestamp(o.ordered_at, 'orders') ~ ') is null'),
          ('product_code', o.product_code, '(' ~ product_id_from_code(o.product_code) ~ ') is null'),
          ('quantity', o.quantity, 'cast(' ~ o.quantity ~ ' as double) is null'),
        ],
      },
      'product_views': {
        'mapping': 'product_views_columns',
        'describe': "concat('user ', coalesce(cast(" ~ v.user_id ~ " as string), '(guest)'))",
        'problems': [
          ('user_id', v.user_id, v.user_id ~ ' is not null and cast(' ~ v.user_id ~ ' as bigint) is null'),
          ('viewed_at', v.viewed_at, '(' ~ source_timestamp(v.viewed_at, 'product_views') ~ ') is null'),
          ('product_code', v.product_code, '(' ~ product_id_from_code(v.product_code) ~ ') is null'),
        ],
      },
      'products': {
        'mapping': 'products_columns',
        'describe': "concat('product ', cast(" ~ p.product_code ~ " as string))",
        'problems': [
          ('product_code', p.product_code, '(' ~ product_id_from_code(p.product_code) ~ ') is null'),
        ],
      },
  } -%}
  {%- set files = var('shop_files') or {} -%}
  {%- for table, check in checks.items() -%}
    {%- set relation = var('shop_schema') ~ '.' ~ table -%}
    {{ btrnn_check_mapped_columns(table, check.mapping, files) }}
    {%- set query -%}
      with raw_rows as (
        select
          {{ check.describe }} as row_description,
          case
            {%- for column, expression, failing in check.problems %}
            when {{ failing }} then '{{ column }} = ' || coalesce(cast({{ expression }} as string), 'null')
            {%- endfor %}
          end as problem
        from {{ relation }}
      )
      select row_description, problem, count(*) over () as failing_rows
      from raw_rows
      where problem is not null
      limit 5
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {%- if result.rows | length > 0 -%}
      {%- set where = "file " ~ files[table] if files.get(table) else "table " ~ relation -%}
      {%- set examples = [] -%}
      {%- for row in result.rows -%}{%- do examples.append(row[0] ~ ': ' ~ row[1]) -%}{%- endfor -%}
      {{ exceptions.raise_compiler_error(
          "Source " ~ table ~ " (" ~ where ~ "): " ~ result.rows[0][2] ~ " rows cannot be read, e.g.\n  "
          ~ examples | join("\n  ")
          ~ "\nFix these rows, or map the column to an expression that parses it in var "
          ~ check.mapping ~ " (e.g. to_timestamp(col, 'dd/MM/yyyy HH:mm')). Nothing was built; "
          ~ "published tables are unchanged.") }}
    {%- endif -%}
  {%- endfor -%}
{% endmacro %}


{# An invalid product_code_pattern would fail deep inside staging with Spark's own error (or, with
   a mangled pattern, match nothing): check it with the JVM's regex engine, which rlike uses. #}
{% macro btrnn_check_code_pattern() %}
  {%- set pattern = var('product_code_pattern') -%}
  {%- if pattern is none -%}{{ return('') }}{%- endif -%}
  {%- set compiled = run_query(
      "select try_reflect('java.util.regex.Pattern', 'compile', " ~ sql_string(pattern) ~ ")").rows[0][0] -%}
  {%- if compiled is none -%}
    {{ exceptions.raise_compiler_error(
        "var product_code_pattern " ~ pattern ~ " is not a valid regular expression (Java syntax, "
        ~ "as Spark's rlike): fix it or set it to null. Nothing was built.") }}
  {%- endif -%}
{% endmacro %}

{#
  A mapping that names a column the source does not have fails here with the columns it does
  have, instead of Spark's UNRESOLVED_COLUMN error and its stack trace. A single column whose name
  holds a delimiter means the CSV was split on the wrong one.
#}
{% macro btrnn_check_mapped_columns(table, mapping, files) %}
  {%- set relation = var('shop_schema') ~ '.' ~ table -%}
  {%- set found = btrnn_source_columns(table) | map(attribute='name') | list -%}
  {%- set lowered = found | map('lower') | list -%}
  {%- for key, expression in var(mapping).items() -%}
    {%- set name = expression | trim -%}
    {%- if modules.re.match('^`[^`]+`$|^[A-Za-z_][A-Za-z0-9_]*$', name) and name | replace('`', '') | lower not in lowered
          and name | lower not in ('true', 'false', 'null') -%}
      {%- set where = "file " ~ files[table] if files.get(table) else "table " ~ relation -%}
      {%- set hint = '' -%}
      {%- if found | length == 1 and modules.re.search('[;|\t,]', found[0]) -%}
        {%- set hint = " The file looks split on the wrong delimiter: set shop_files.csv_options.sep (e.g. ';')." -%}
      {%- endif -%}
      {{ exceptions.raise_compiler_error(
          "Source " ~ table ~ " (" ~ where ~ ") has no column " ~ name ~ " (var " ~ mapping ~ "."
          ~ key ~ "); its columns are: " ~ found | join(', ') ~ "." ~ hint
          ~ " Map " ~ key ~ " to one of them. Nothing was built; published tables are unchanged.") }}
    {%- endif -%}
  {%- endfor -%}
{% endmacro %}
