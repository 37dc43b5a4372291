{#
  Pseudo-random but reproducible order of items bought at the same moment (SPEC: hash of user,
  order, product and a salt). Same data and salt: same histories; another salt: another order.
#}
{% macro tie_break_key(user_id, order_id, product_id) %}
  xxhash64(concat_ws('|', cast({{ user_id }} as string), cast({{ order_id }} as string),
                     cast({{ product_id }} as string), '{{ var("tie_break_salt") }}'))
{% endmacro %}
