{#
  The release gate in the warehouse. `btrnn evaluate` records each verdict in the table
  `release_gate` of the published schema (record_release_gate, through `dbt run-operation`), and
  published_recommender() reads the newest verdict for the data this run reads: a plain
  `dbt build` publishes what the last evaluation of this warehouse and data chose. The writer and
  the reader are both here, and share the table and the data key.

  One row per evaluation: evaluated_at, run_id, data_key (see btrnn_data_key), data (the vars
  that name the data, as JSON), metric, figures (each recommender's value of the metric),
  passed, default_recommender, training (the model spec judged, as JSON: btrnn/spec.py),
  message, best_baseline, spec_hash (that spec's hash).

  A verdict for BTRNN holds only for a model of the spec judged: `btrnn train` records each
  model's spec and its hash in `model_trainings` (btrnn.train.record_training), and the gate's
  choice of BTRNN stands only when the model that scored the BTRNN table has the judged hash
  (btrnn_model_mismatch); otherwise the views publish the best baseline and say why.
#}

{# Every recommender a *_default view can publish. #}
{% macro btrnn_recommenders() %}
  {{ return(['btrnn', 'popularity', 'cooccurrence', 'word2vec']) }}
{% endmacro %}


{% macro btrnn_release_gate_table() %}
  {{ return(target.schema ~ '.release_gate') }}
{% endmacro %}


{# The vars that say which shop's data a run reads, as they resolve (files by absolute path).
   Another data set, another key: evaluating it never changes what this one publishes. The
   files' contents are not part of the key on purpose: a shop's export grows every day, and a
   verdict holds for the shop's data until the next evaluation, not for one day's snapshot. #}
{% macro btrnn_data_vars() %}
  {%- set names = [
      'shop_schema', 'shop_files', 'orders_columns', 'product_views_columns', 'products_columns',
      'product_ids', 'product_code_pattern',
  ] -%}
  {%- set data = {} -%}
  {%- for name in names -%}
    {%- do data.update({name: var(name)}) -%}
  {%- endfor -%}
  {#- The files as read: `data/x.csv` and its absolute path are the same data. -#}
  {%- if data.shop_files -%}
    {%- set files = {} -%}
    {%- for name, path in data.shop_files.items() -%}
      {%- do files.update({name: btrnn_absolute_path(path) if path and name != 'format' else path}) -%}
    {%- endfor -%}
    {%- do data.update({'shop_files': files}) -%}
  {%- endif -%}
  {{ return(tojson(data, sort_keys=true)) }}
{% endmacro %}


{% macro btrnn_data_key() %}
  {{ return(local_md5(btrnn_data_vars())) }}
{% endmacro %}


{# verdict: run_id, metric, figures {recommender: value}, passed, default_recommender,
   best_baseline, spec {setting: value}, spec_hash, message (btrnn.evaluation.protocol). #}
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
      ~ 'training string, message string, best_baseline string, spec_hash string) using parquet'
  ) %}
  {%- set columns = adapter.get_columns_in_relation(btrnn_gate_relation()) | map(attribute='name') | list -%}
  {%- for column in ['best_baseline', 'spec_hash'] if column not in columns -%}
    {% do run_query('alter table ' ~ table ~ ' add columns (' ~ column ~ ' string)') %}
  {%- endfor -%}
  {% do run_query(
      'insert into ' ~ table ~ ' select current_timestamp(), '
      ~ sql_string(verdict.run_id) ~ ', '
      ~ sql_string(btrnn_data_key()) ~ ', '
      ~ sql_string(btrnn_data_vars()) ~ ', '
      ~ sql_string(verdict.metric) ~ ', '
      ~ 'map(' ~ figures | join(', ') ~ '), '
      ~ ('true' if verdict.passed else 'false') ~ ', '
      ~ sql_string(verdict.default_recommender) ~ ', '
      ~ sql_string(tojson(verdict.spec, sort_keys=true)) ~ ', '
      ~ sql_string(verdict.message) ~ ', '
      ~ sql_string(verdict.get('best_baseline') or 'popularity') ~ ', '
      ~ sql_string(verdict.spec_hash)
  ) %}
  {{ log('release gate recorded in ' ~ table ~ ': ' ~ verdict.message ~ '; the *_default views publish ' ~ verdict.default_recommender ~ ' for this data', info=true) }}
{% endmacro %}


{% macro btrnn_gate_relation() %}
  {{ return(api.Relation.create(schema=target.schema, identifier='release_gate', type='table')) }}
{% endmacro %}


{# The newest verdict for this run's data as a dict (default_recommender, best_baseline, spec,
   spec_hash: none for a verdict recorded before model specs); none when no evaluation of this
   data has been recorded in this schema. #}
{% macro btrnn_gate_verdict() %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- if adapter.get_relation(database=none, schema=target.schema, identifier='release_gate') is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(btrnn_gate_relation()) | map(attribute='name') | list -%}
  {%- set newest = run_query(
      'select default_recommender, '
      ~ ('best_baseline' if 'best_baseline' in columns else "'popularity'")
      ~ ', training, '
      ~ ('spec_hash' if 'spec_hash' in columns else 'cast(null as string)')
      ~ ' from ' ~ btrnn_release_gate_table()
      ~ ' where data_key = ' ~ sql_string(btrnn_data_key())
      ~ ' order by evaluated_at desc, run_id desc limit 1'
  ) -%}
  {%- if newest.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
  {%- set row = newest.rows[0] -%}
  {{ return({'default_recommender': row[0], 'best_baseline': row[1] or 'popularity',
             'spec': fromjson(row[2] or '{}'), 'spec_hash': row[3]}) }}
{% endmacro %}


{# Why the BTRNN rows of `btrnn_table` do not come from a model of the spec the gate judged
   (`verdict`, from btrnn_gate_verdict); none when they do. Models are compared by their spec
   hash (btrnn/spec.py: the seed and the budget left out), and a difference names each setting. #}
{% macro btrnn_model_mismatch(btrnn_table, verdict) %}
  {%- if not verdict.spec_hash -%}
    {{ return('the verdict was recorded before model specs (run `btrnn evaluate` again)') }}
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
  {%- set columns = [] if trainings is none else adapter.get_columns_in_relation(trainings) | map(attribute='name') | list -%}
  {%- set recorded = [] if trainings is none else run_query(
      'select training, ' ~ ('spec_hash' if 'spec_hash' in columns else 'cast(null as string)')
      ~ ' from ' ~ trainings ~ ' where model_version = ' ~ sql_string(version)
      ~ ' order by trained_at desc limit 1').rows -%}
  {%- if recorded | length == 0 -%}
    {{ return('model ' ~ version ~ ' has no training record in ' ~ target.schema ~ '.model_trainings (train it with `btrnn train`)') }}
  {%- endif -%}
  {%- if recorded[0][1] == verdict.spec_hash -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set trained = fromjson(recorded[0][0]) -%}
  {%- set judged = verdict.spec -%}
  {%- set differences = [] -%}
  {%- for name in (judged.keys() | list + trained.keys() | list) | unique | sort if trained.get(name) != judged.get(name) -%}
    {%- do differences.append(name ~ '=' ~ trained.get(name) ~ ' (judged: ' ~ judged.get(name) ~ ')') -%}
  {%- endfor -%}
  {{ return('model ' ~ version ~ ' has spec ' ~ (recorded[0][1] or 'none') ~ ', the gate judged ' ~ verdict.spec_hash ~ ': trained with ' ~ (differences | join(', ') or 'settings recorded before model specs')) }}
{% endmacro %}
