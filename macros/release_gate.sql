{#
  The release gate in the warehouse. `btrnn evaluate` records each verdict in the table
  `release_gate` of the published schema (record_release_gate, through `dbt run-operation`), and
  published_recommender() reads the newest verdict for the data this run reads: a plain
  `dbt build` publishes what the last evaluation of this warehouse and data chose. The writer and
  the reader are both here, and share the table and the data key.

  One row per evaluation: evaluated_at, run_id, data_key (see btrnn_data_key), data (the vars
  that name the data, as JSON), metric, figures (each recommender's value of the metric),
  passed, default_recommender, training (the configuration BTRNN was trained with, as JSON),
  message.
#}

{# Every recommender a *_default view can publish. #}
{% macro btrnn_recommenders() %}
  {{ return(['btrnn', 'popularity', 'cooccurrence', 'word2vec']) }}
{% endmacro %}


{% macro btrnn_release_gate_table() %}
  {{ return(target.schema ~ '.release_gate') }}
{% endmacro %}


{# The vars that say which shop's data a run reads. Another data set, another key: evaluating
   it never changes what this one publishes. #}
{% macro btrnn_data_vars() %}
  {%- set names = [
      'shop_schema', 'shop_files', 'orders_columns', 'product_views_columns', 'products_columns',
      'product_ids', 'product_code_pattern',
  ] -%}
  {%- set data = {} -%}
  {%- for name in names -%}
    {%- do data.update({name: var(name)}) -%}
  {%- endfor -%}
  {{ return(tojson(data, sort_keys=true)) }}
{% endmacro %}


{% macro btrnn_data_key() %}
  {{ return(local_md5(btrnn_data_vars())) }}
{% endmacro %}


{# verdict: run_id, metric, figures {recommender: value}, passed, default_recommender, training
   {setting: value}, message (what btrnn.evaluation.protocol passes). #}
{% macro record_release_gate(verdict) %}
  {%- set table = btrnn_release_gate_table() -%}
  {%- set recommenders = btrnn_recommenders() -%}
  {%- if verdict.default_recommender not in recommenders -%}
    {{ exceptions.raise_compiler_error("record_release_gate: default_recommender must be one of " ~ recommenders | join(', ') ~ ", got '" ~ verdict.default_recommender ~ "'") }}
  {%- endif -%}
  {%- set figures = [] -%}
  {%- for name, value in verdict.figures.items() | sort -%}
    {%- do figures.extend([sql_string(name), 'cast(' ~ (value | float) ~ ' as double)']) -%}
  {%- endfor -%}
  {% do run_query('create schema if not exists ' ~ target.schema) %}
  {% do run_query(
      'create table if not exists ' ~ table ~ ' ('
      ~ 'evaluated_at timestamp, run_id string, data_key string, data string, metric string, '
      ~ 'figures map<string, double>, passed boolean, default_recommender string, '
      ~ 'training string, message string) using parquet'
  ) %}
  {% do run_query(
      'insert into ' ~ table ~ ' select current_timestamp(), '
      ~ sql_string(verdict.run_id) ~ ', '
      ~ sql_string(btrnn_data_key()) ~ ', '
      ~ sql_string(btrnn_data_vars()) ~ ', '
      ~ sql_string(verdict.metric) ~ ', '
      ~ 'map(' ~ figures | join(', ') ~ '), '
      ~ ('true' if verdict.passed else 'false') ~ ', '
      ~ sql_string(verdict.default_recommender) ~ ', '
      ~ sql_string(tojson(verdict.training, sort_keys=true)) ~ ', '
      ~ sql_string(verdict.message)
  ) %}
  {{ log('release gate recorded in ' ~ table ~ ': ' ~ verdict.message ~ '; the *_default views publish ' ~ verdict.default_recommender ~ ' for this data', info=true) }}
{% endmacro %}


{# The default recommender of the newest verdict for this run's data; none when no evaluation of
   this data has been recorded in this schema. #}
{% macro btrnn_gate_choice() %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- if adapter.get_relation(database=none, schema=target.schema, identifier='release_gate') is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set newest = run_query(
      'select default_recommender from ' ~ btrnn_release_gate_table()
      ~ ' where data_key = ' ~ sql_string(btrnn_data_key())
      ~ ' order by evaluated_at desc, run_id desc limit 1'
  ) -%}
  {{ return(newest.rows[0][0] if newest.rows | length > 0 else none) }}
{% endmacro %}
