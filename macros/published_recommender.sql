{#
  The recommender the *_default views publish. var default_recommender: btrnn, popularity,
  cooccurrence, word2vec, or auto (the default): the choice of the newest release gate verdict
  recorded for this run's data in this schema's `release_gate` table (macros/release_gate.sql;
  SPEC's gate: BTRNN only if it beats the best baseline on NDCG@100). With no verdict for the
  data yet, btrnn, and the run says so.
#}
{% macro published_recommender() %}
  {%- set chosen = var('default_recommender') -%}
  {%- if chosen == 'auto' -%}
    {%- set chosen = btrnn_gate_choice() -%}
    {%- if chosen is none -%}
      {%- set chosen = 'btrnn' -%}
      {%- if execute -%}
        {{ log(model.name ~ ": no release gate verdict for this data in " ~ btrnn_release_gate_table() ~ " (run `btrnn evaluate`); publishing btrnn, the default until one is recorded", info=true) }}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
  {%- if chosen not in btrnn_recommenders() -%}
    {{ exceptions.raise_compiler_error("var default_recommender must be auto or one of " ~ btrnn_recommenders() | join(', ') ~ ", got '" ~ chosen ~ "'") }}
  {%- endif -%}
  {{ return(chosen) }}
{% endmacro %}
