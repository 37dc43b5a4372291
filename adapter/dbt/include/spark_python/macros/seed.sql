{#
  Seeds, loaded safely and published by swap.

  dbt-spark formats seed rows into the SQL with `sql % params`, unescaped: a quote, backslash or
  percent sign in a cell breaks the insert, an empty cell turns into the text 'None' and decimals
  go through float. Here the adapter renders each value as a typed Spark SQL literal
  (seeds.py), and no parameters are bound at all.

  dbt's seed materialization drops (or truncates) the published table and then loads it, so a
  load that fails leaves the seed missing or empty. This one, like the table materialization,
  loads `<name>__dbt_build` and swaps it in only once every row is in.
#}

{% macro spark_python_seed_column_types(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set types = [] -%}
  {%- for col_name in agate_table.column_names -%}
    {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
  {%- endfor -%}
  {{ return(types) }}
{% endmacro %}


{% macro spark_python_create_seed_table(model, agate_table, relation) %}
  {%- set column_types = spark_python_seed_column_types(model, agate_table) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ relation.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ column_types[loop.index0] }}
            {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}


{% macro spark_python_load_seed_rows(model, agate_table, relation) %}
  {%- set column_types = spark_python_seed_column_types(model, agate_table) -%}
  {%- set statements = [] -%}

  {% for chunk in agate_table.rows | batch(get_batch_size()) %}
    {% set sql -%}
      insert into {{ relation.render() }} values
      {{ adapter.seed_values_sql(chunk, column_types) }}
    {%- endset %}
    {% do adapter.add_query(sql, abridge_sql_log=True) %}
    {% if loop.first %}
      {% do statements.append(sql) %}
    {% endif %}
  {% endfor %}

  {#- The first batch's SQL goes to the compiled files. -#}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}


{#- Anything that calls dbt's seed helpers directly gets the safe versions too. -#}
{% macro spark_python__create_csv_table(model, agate_table) %}
  {{ return(spark_python_create_seed_table(model, agate_table, this)) }}
{% endmacro %}

{% macro spark_python__load_csv_rows(model, agate_table) %}
  {{ return(spark_python_load_seed_rows(model, agate_table, this)) }}
{% endmacro %}


{% materialization seed, adapter='spark_python' %}
  {%- set identifier = model['alias'] -%}
  {%- set full_refresh_mode = should_full_refresh() -%}
  {%- set grant_config = config.get('grants') -%}

  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- if old_relation is not none and old_relation.is_view -%}
    {{ exceptions.raise_compiler_error("Cannot seed to '{}', it is a view".format(old_relation.render())) }}
  {%- endif -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set build_relation = api.Relation.create(
        identifier=identifier ~ '__dbt_build', schema=schema, database=database, type='table') -%}

  {%- set agate_table = load_agate_table() -%}
  {%- do store_result('agate_table', response='OK', agate_table=agate_table) -%}

  {{ run_hooks(pre_hooks) }}

  {{ adapter.drop_relation(build_relation) }}
  {%- set create_table_sql = spark_python_create_seed_table(model, agate_table, build_relation) -%}
  {%- set rows_affected = agate_table.rows | length -%}
  {%- set insert_sql = spark_python_load_seed_rows(model, agate_table, build_relation) if rows_affected > 0 else '' -%}

  {#- Every row is in: only now replace the published seed. -#}
  {% if old_relation is not none %}
    {{ adapter.drop_relation(old_relation) }}
  {% endif %}
  {{ adapter.rename_relation(build_relation, target_relation) }}

  {%- set code = 'CREATE' if full_refresh_mode else 'INSERT' -%}
  {% call noop_statement('main', code ~ ' ' ~ rows_affected, code, rows_affected) %}
    {{ get_csv_sql(create_table_sql, insert_sql) }};
  {% endcall %}

  {% set should_revoke = should_revoke(old_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
