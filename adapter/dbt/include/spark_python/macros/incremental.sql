{#
  dbt-spark's incremental materialization reads `file_format` (default parquet) and
  `incremental_strategy` (default append, which every format supports), validates the pair with
  the macro below, and gets the SQL from dbt_spark_get_incremental_sql. Neither is dispatched:
  this adapter's copies come first in the lookup. The changes:

  - merge on a format that cannot merge fails with a message naming the model's format, the
    formats that can, and what works on plain Spark instead;
  - any other strategy name is a custom strategy, as in dbt's own incremental materialization:
    a `get_incremental_<name>_sql` macro of the project (dbt-spark rejects them all), and dbt's
    "could not find an incremental strategy macro" error when there is none.
#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
  {%- set strategies = ['append', 'merge', 'insert_overwrite', 'microbatch'] -%}
  {%- set merge_formats = ['delta', 'iceberg', 'hudi'] -%}

  {% if raw_strategy not in strategies %}
    {#- Raises unless the project defines the strategy's macro. -#}
    {% do adapter.get_incremental_strategy_macro(context, raw_strategy) %}
    {% do return(raw_strategy) %}
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

  {#- dbt-spark's default (append) never reads unique_key: say so, rather than duplicate rows
      that the model author expected to be updated. -#}
  {% if raw_strategy == 'append' and config.get('unique_key') and not config.get('incremental_strategy') %}
    {% do exceptions.warn(
      "Model " ~ this ~ ": unique_key is set but the incremental strategy defaults to 'append',"
      ~ " which adds rows without matching them. Updating rows by key needs"
      ~ " incremental_strategy 'merge' and a file_format of " ~ merge_formats | join(', ') ~ ".") %}
  {% endif %}

  {% do return(raw_strategy) %}
{% endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
  {#- dbt-spark's branches, as they are (its copy cannot be called by package name). -#}
  {%- if strategy == 'append' -%}
    {{ get_insert_into_sql(source, target) }}
  {%- elif strategy == 'insert_overwrite' -%}
    {{ get_insert_overwrite_sql(source, target, existing) }}
  {%- elif strategy == 'microbatch' -%}
    {%- if not config.get('partition_by') -%}
      {{ exceptions.raise_compiler_error(
        "dbt-spark 'microbatch' incremental strategy requires a `partition_by` config."
        ~ "\n    Ensure you are using a `partition_by` column that is of grain "
        ~ config.get('batch_size') ~ ".") }}
    {%- endif -%}
    {{ get_insert_overwrite_sql(source, target, existing) }}
  {%- elif strategy == 'merge' -%}
    {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
  {%- else -%}
    {#- The arguments dbt's own incremental materialization passes a custom strategy. -#}
    {%- set strategy_sql_macro_func = adapter.get_incremental_strategy_macro(context, strategy) -%}
    {{ strategy_sql_macro_func({
        'target_relation': target,
        'temp_relation': source,
        'unique_key': unique_key,
        'dest_columns': adapter.get_columns_in_relation(target),
        'incremental_predicates': incremental_predicates,
    }) }}
  {%- endif -%}
{% endmacro %}
