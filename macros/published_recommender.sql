{#
  The recommender the *_default views publish. var default_recommender: btrnn, popularity,
  cooccurrence, word2vec, or auto (the default): the choice of the newest release gate verdict
  recorded for this run's data in this schema's `release_gate` table (macros/release_gate.sql;
  SPEC's gate: BTRNN only if it beats the best baseline on NDCG@100). A choice of BTRNN stands
  only when the model that scored `btrnn_table` has the spec the gate judged (its hash);
  otherwise the verdict's best baseline. With no verdict for the data, the gate fails closed:
  var default_recommender_unevaluated (co-occurrence; `btrnn` publishes the model until an
  evaluation says otherwise). Every build logs one line: what it publishes and why.
#}
{% macro published_recommender(btrnn_table) %}
  {%- set chosen = var('default_recommender') -%}
  {%- set reason = 'var default_recommender' -%}
  {%- if chosen == 'auto' -%}
    {%- set verdict = btrnn_gate_verdict() -%}
    {%- if verdict is none -%}
      {%- set chosen = var('default_recommender_unevaluated') -%}
      {%- set where = ' in ' ~ btrnn_release_gate_table() if execute else '' -%}
      {%- set reason = 'no release gate verdict for this data' ~ where ~ ' (run `btrnn evaluate`); var default_recommender_unevaluated' -%}
    {%- else -%}
      {%- set chosen = verdict.default_recommender -%}
      {%- set reason = 'the release gate chose it for this data' -%}
      {%- set mismatch = btrnn_model_mismatch(btrnn_table, verdict) if chosen == 'btrnn' else none -%}
      {%- if mismatch -%}
        {%- set chosen = verdict.best_baseline -%}
        {%- set reason = 'the best baseline: the release gate chose btrnn, but ' ~ mismatch ~ ' (train with the spec it judged, or evaluate the model in use)' -%}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
  {%- if chosen not in btrnn_recommenders() -%}
    {{ exceptions.raise_compiler_error("var default_recommender must be auto or one of " ~ btrnn_recommenders() | join(', ') ~ ", got '" ~ chosen ~ "'") }}
  {%- endif -%}
  {%- if execute -%}
    {{ log(model.name ~ ": publishing " ~ chosen ~ ": " ~ reason, info=true) }}
  {%- endif -%}
  {{ return(chosen) }}
{% endmacro %}
