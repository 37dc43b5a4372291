{#
  A value from a var as a Spark SQL string literal. Spark reads backslash escapes inside
  literals, so backslashes and quotes are escaped: `^\d{5}$` stays a regular expression and a
  quote stays data, never SQL. Every var that reaches SQL as a literal goes through here.
#}
{% macro sql_string(value) -%}
  '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
