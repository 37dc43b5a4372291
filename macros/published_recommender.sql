{#
  The recommender the *_default views publish. var default_recommender: btrnn, popularity,
  cooccurrence, word2vec, or auto (the default): the choice of the newest release gate verdict
  recorded for this run's data in this schema's `release_gate` table (macros/release_gate.sql;
  SPEC's gate: BTRNN only if it beats the best baseline on NDCG@100). A choice of BTRNN stands
  only when the model that scored `btrnn_table` was trained with the settings the gate judged;
  otherwise the verdict's best baseline, and the run says why. With no verdict for the data yet,
  btrnn, and the run says so.
#}
{% macro published_recommender(btrnn_table) %}
  {%- set chosen = var('default_recommender') -%}
  {%- if chosen == 'auto' -%}
    {%- set verdict = btrnn_gate_verdict() -%}
    {%- if verdict is none -%}
      {%- set chosen = 'btrnn' -%}
      {%- if execute -%}
        {{ log(model.name ~ ": no release gate verdict for this data in " ~ btrnn_release_gate_table() ~ " (run `btrnn evaluate`); publishing btrnn, the default until one is recorded", info=true) }}
      {%- endif -%}
    {%- else -%}
      {%- set chosen = verdict.default_recommender -%}
      {%- set mismatch = btrnn_model_mismatch(btrnn_table, verdict.training) if chosen == 'btrnn' else none -%}
      {%- if mismatch -%}
        {%- set chosen = verdict.best_baseline -%}
        {{ log(model.name ~ ": the release gate chose btrnn, but " ~ mismatch ~ "; publishing the best baseline, " ~ chosen ~ " (train and score with the settings it judged, e.g. the same --config, or evaluate the model in use)", info=true) }}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
  {%- if chosen not in btrnn_recommenders() -%}
    {{ exceptions.raise_compiler_error("var default_recommender must be auto or one of " ~ btrnn_recommenders() | join(', ') ~ ", got '" ~ chosen ~ "'") }}
  {%- endif -%}
  {{ return(chosen) }}
{% endmacro %}
