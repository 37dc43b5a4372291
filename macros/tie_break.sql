{#
  Pseudo-random but reproducible order of events at the same moment (SPEC: a hash of user,
  order, product and a salt). Same data and salt: same order; another salt: another order.
  Takes the key's columns as arguments: tie_break_key('user_id', 'order_id', 'product_id').
#}
{% macro tie_break_key() %}
  xxhash64(concat_ws('|',
    {%- for column in varargs %} cast({{ column }} as string),{% endfor %}
    {{ sql_string(var('tie_break_salt')) }}))
{% endmacro %}
