{#
  The model's integer product id for a source product code. `integer` codes are used as they
  are; `hashed` string codes get xxhash64 truncated to 53 bits: stable across re-runs and
  re-loads, exact in float64, and collision-free in practice (about 1e-5 expected collisions
  at 500k items; the unique test on stg_shop__products would catch one).
#}
{% macro product_id_from_code(code_expression) %}
  {%- if var('product_ids') == 'integer' -%}
    cast({{ code_expression }} as bigint)
  {%- elif var('product_ids') == 'hashed' -%}
    (xxhash64(cast({{ code_expression }} as string)) & 9007199254740991)
  {%- else -%}
    {{ exceptions.raise_compiler_error("var product_ids must be 'integer' or 'hashed', got '" ~ var('product_ids') ~ "'") }}
  {%- endif -%}
{% endmacro %}

{# True where a product code is merchandise (var product_code_pattern; every code when unset). #}
{% macro product_code_is_kept(code_expression) %}
  {%- if var('product_code_pattern') -%}
    cast({{ code_expression }} as string) rlike {{ sql_string(var("product_code_pattern")) }}
  {%- else -%}
    true
  {%- endif -%}
{% endmacro %}
