{#
  Rows whose `column_name` (a share, 0..1) exceeds the limit for their `key_column` value in the
  mapping held by var `limits_var` (e.g. data_quality_max_share); keys without a limit pass.
#}
{% test share_at_most(model, column_name, key_column, limits_var) %}
  {%- set limits = var(limits_var) or {} %}
  select *
  from {{ model }}
  where {{ column_name }} > case {{ key_column }}
      {%- for key, limit in limits.items() %}
      when {{ sql_string(key) }} then {{ limit | float }}
      {%- endfor %}
      else 1.0
  end
{% endtest %}
