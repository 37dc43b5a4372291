{#
  The recommender the *_default tables publish. var default_recommender: btrnn, popularity,
  cooccurrence, word2vec, or auto (the default): the verdict of the last `btrnn evaluate`
  (SPEC's release gate: BTRNN only if it beats the best baseline on NDCG@100), which the btrnn
  command passes as BTRNN_RELEASE_DEFAULT; btrnn when no evaluation has run.
#}
{% macro published_recommender() %}
  {%- set chosen = var('default_recommender') -%}
  {%- if chosen == 'auto' -%}
    {%- set chosen = env_var('BTRNN_RELEASE_DEFAULT', 'btrnn') -%}
  {%- endif -%}
  {%- if chosen not in ('btrnn', 'popularity', 'cooccurrence', 'word2vec') -%}
    {{ exceptions.raise_compiler_error("var default_recommender must be auto, btrnn, popularity, cooccurrence or word2vec, got '" ~ chosen ~ "'") }}
  {%- endif -%}
  {{ return(chosen) }}
{% endmacro %}
