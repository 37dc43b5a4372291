{#-
  The table has exactly the columns, with the data types, that model `declared_by` declares in
  its YAML: the contract of a Python model, which dbt cannot enforce itself ("Expected 'sql'"),
  and the promise that every recommender's table has the shape of its *_default view. One failing
  row per missing, extra or differently typed column.
-#}
{% test matches_declared_columns(model, declared_by) %}
{%- set problems = [] -%}
{%- if execute -%}
  {%- set declared = {} -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == declared_by -%}
    {%- for column in node.columns.values() if column.data_type -%}
      {%- do declared.update({column.name | lower: column.data_type | lower}) -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if not declared -%}
    {%- do exceptions.raise_compiler_error(
        "matches_declared_columns: model " ~ declared_by ~ " declares no column with a data_type") -%}
  {%- endif -%}
  {%- set found = {} -%}
  {%- for column in adapter.get_columns_in_relation(model) -%}
    {%- do found.update({column.name | lower: column.data_type | lower}) -%}
  {%- endfor -%}
  {%- for name, data_type in declared.items() -%}
    {%- if name not in found -%}
      {%- do problems.append(name ~ ': declared ' ~ data_type ~ ', missing') -%}
    {%- elif found[name] != data_type -%}
      {%- do problems.append(name ~ ': declared ' ~ data_type ~ ', found ' ~ found[name]) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name, data_type in found.items() if name not in declared -%}
    {%- do problems.append(name ~ ': ' ~ data_type ~ ', not declared by ' ~ declared_by) -%}
  {%- endfor -%}
{%- endif -%}
{%- if problems -%}
  {%- for problem in problems %}
select '{{ problem }}' as problem
{%- if not loop.last %} union all{% endif %}
  {%- endfor %}
{%- else %}
select cast(null as string) as problem where 1 = 0
{%- endif %}
{% endtest %}
