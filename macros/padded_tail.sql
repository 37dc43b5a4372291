{#
  The `length` items of `items` (an array of product ids) that end at 1-based position
  `end_position`, left-padded with product id 0 when fewer exist. One rule for every model input:
  training windows (the window ending at the label), scoring inputs (the last 11 purchases) and
  evaluation inputs (the purchases before a held-out target).
#}
{% macro padded_tail(items, end_position, length) %}
  concat(
    array_repeat(cast(0 as bigint), greatest({{ length }} - ({{ end_position }}), 0)),
    slice({{ items }}, greatest(({{ end_position }}) - {{ length }} + 1, 1), least({{ end_position }}, {{ length }}))
  )
{% endmacro %}
