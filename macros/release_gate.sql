{#
  The release gate in the warehouse. `btrnn evaluate` records each verdict in the table
  `release_gate` of the published schema (record_release_gate, through `dbt run-operation`), and
  published_recommender() reads the newest verdict for the data this run reads: a plain
  `dbt build` publishes what the last evaluation of this warehouse and data chose. The writer and
  the reader are both here, and share the table and the data key.

  One row per evaluation: evaluated_at, run_id, data_key (see btrnn_data_key), data (the vars
  that name the data, as JSON), metric, figures (each recommender's value of the metric),
  passed, default_recommender, training (the configuration BTRNN was trained with, as JSON),
  message, best_baseline.

  A verdict for BTRNN holds only for a model trained like the one judged: `btrnn train` records
  each model's settings in `model_trainings` (btrnn.train.record_training), and the gate's choice
  of BTRNN stands only when the model that scored the BTRNN table was trained with the judged
  settings (btrnn_model_mismatch); otherwise the views publish the best baseline and say why.
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
      ~ 'training string, message string, best_baseline string) using parquet'
  ) %}
  {%- if 'best_baseline' not in adapter.get_columns_in_relation(btrnn_gate_relation()) | map(attribute='name') | list -%}
    {% do run_query('alter table ' ~ table ~ ' add columns (best_baseline string)') %}
  {%- endif -%}
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
      ~ sql_string(verdict.message) ~ ', '
      ~ sql_string(verdict.get('best_baseline') or 'popularity')
  ) %}
  {{ log('release gate recorded in ' ~ table ~ ': ' ~ verdict.message ~ '; the *_default views publish ' ~ verdict.default_recommender ~ ' for this data', info=true) }}
{% endmacro %}


{% macro btrnn_gate_relation() %}
  {{ return(api.Relation.create(schema=target.schema, identifier='release_gate', type='table')) }}
{% endmacro %}


{# The newest verdict for this run's data as a dict (default_recommender, best_baseline,
   training); none when no evaluation of this data has been recorded in this schema. #}
{% macro btrnn_gate_verdict() %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- if adapter.get_relation(database=none, schema=target.schema, identifier='release_gate') is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(btrnn_gate_relation()) | map(attribute='name') | list -%}
  {%- set newest = run_query(
      'select default_recommender, '
      ~ ('best_baseline' if 'best_baseline' in columns else "'popularity'")
      ~ ', training from ' ~ btrnn_release_gate_table()
      ~ ' where data_key = ' ~ sql_string(btrnn_data_key())
      ~ ' order by evaluated_at desc, run_id desc limit 1'
  ) -%}
  {%- if newest.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
  {%- set row = newest.rows[0] -%}
  {{ return({'default_recommender': row[0], 'best_baseline': row[1] or 'popularity',
             'training': fromjson(row[2] or '{}')}) }}
{% endmacro %}


{# Settings that do not make another model: the seed (the gate judges the mean over seeds) and
   the schema (the evaluation trains in its own). Window layout is a data-layer var, checked
   against this run's. #}
{% macro btrnn_unjudged_settings() %}
  {{ return(['seed', 'schema', 'every_prefix_windows']) }}
{% endmacro %}


{# Why the BTRNN rows of `btrnn_table` do not come from a model trained like the one the gate
   judged (`judged`: the verdict's training settings); none when they do. #}
{% macro btrnn_model_mismatch(btrnn_table, judged) %}
  {%- if judged.get('every_prefix_windows') is not none and judged.every_prefix_windows != var('every_prefix_windows') -%}
    {{ return('the gate judged every_prefix_windows=' ~ judged.every_prefix_windows ~ ', this run builds ' ~ var('every_prefix_windows')) }}
  {%- endif -%}
  {%- set relation = adapter.get_relation(database=none, schema=target.schema, identifier=btrnn_table) -%}
  {%- if relation is none -%}
    {{ return(btrnn_table ~ ' is not built yet') }}
  {%- endif -%}
  {%- set scored = run_query(
      'select model_version from ' ~ relation ~ " where recommender = 'btrnn'"
      ~ ' order by scored_at desc limit 1').rows -%}
  {%- if scored | length == 0 -%}
    {{ return(btrnn_table ~ ' has no rows scored by a BTRNN model') }}
  {%- endif -%}
  {%- set version = scored[0][0] -%}
  {%- set trainings = adapter.get_relation(database=none, schema=target.schema, identifier='model_trainings') -%}
  {%- set recorded = [] if trainings is none else run_query(
      'select training from ' ~ trainings ~ ' where model_version = ' ~ sql_string(version)
      ~ ' order by trained_at desc limit 1').rows -%}
  {%- if recorded | length == 0 -%}
    {{ return('model ' ~ version ~ ' has no training record in ' ~ target.schema ~ '.model_trainings (train it with `btrnn train`)') }}
  {%- endif -%}
  {%- set trained = fromjson(recorded[0][0]) -%}
  {%- set differences = [] -%}
  {%- for name, value in judged.items() | sort if name not in btrnn_unjudged_settings() and trained.get(name) != value -%}
    {%- do differences.append(name ~ '=' ~ trained.get(name) ~ ' (judged: ' ~ value ~ ')') -%}
  {%- endfor -%}
  {%- if differences -%}
    {{ return('model ' ~ version ~ ' was trained with ' ~ differences | join(', ')) }}
  {%- endif -%}
  {{ return(none) }}
{% endmacro %}
