{#
  The data layer's part of the model spec (btrnn/spec.py): the dbt vars that shape the windows
  and the item vectors a model is trained on. int_training_windows records them in its table
  properties at every build, where `btrnn train` reads them into the model's spec.
#}
{% macro btrnn_data_layer_spec() %}
  {%- set names = [
      'sequence_length', 'every_prefix_windows',
      'word2vec_window', 'word2vec_size', 'word2vec_seed', 'word2vec_max_iter', 'word2vec_min_count',
  ] -%}
  {%- set settings = {} -%}
  {%- for name in names -%}
    {%- do settings.update({name: var(name)}) -%}
  {%- endfor -%}
  {{ return(tojson(settings, sort_keys=true)) }}
{% endmacro %}
