{#
  dbt-spark's incremental materialization reads `file_format` (default parquet) and
  `incremental_strategy` (default append, which every format supports), then validates the pair
  with this macro. It is not dispatched: this adapter's copy comes first in the lookup. The
  change is the message: it names the model's format, the formats that can merge, and what
  works on plain Spark instead.
#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
  {%- set strategies = ['append', 'merge', 'insert_overwrite', 'microbatch'] -%}
  {%- set merge_formats = ['delta', 'iceberg', 'hudi'] -%}

  {% if raw_strategy not in strategies %}
    {% do exceptions.raise_compiler_error(
      "Invalid incremental strategy provided: " ~ raw_strategy
      ~ "\n    Expected one of: '" ~ strategies | join("', '") ~ "'") %}
  {% endif %}

  {% if raw_strategy == 'merge' and file_format not in merge_formats %}
    {% do exceptions.raise_compiler_error(
      "Invalid incremental strategy provided: merge, with file_format '" ~ file_format ~ "'"
      ~ "\n    merge needs a table format that can update rows: " ~ merge_formats | join(', ')
      ~ " (their jars and SQL extensions on the Spark that runs the model)."
      ~ "\n    On plain Spark (parquet, orc) use incremental_strategy 'append', or"
      ~ " 'insert_overwrite' with partition_by.") %}
  {% endif %}

  {% if raw_strategy in ['insert_overwrite', 'microbatch'] and target.endpoint %}
    {% do exceptions.raise_compiler_error(
      "Invalid incremental strategy provided: " ~ raw_strategy
      ~ "\n    You cannot use this strategy when connecting via endpoint"
      ~ "\n    Use the 'append' or 'merge' strategy instead") %}
  {% endif %}

  {% do return(raw_strategy) %}
{% endmacro %}
