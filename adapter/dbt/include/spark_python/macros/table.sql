{#
  dbt-spark's table materialization drops the published table before building the new one, so
  a failed build loses it. This one builds beside it and swaps only once the build succeeded:
  a failed run leaves the previously published table intact.
#}
{% materialization table, adapter='spark_python', supported_languages=['sql', 'python'] %}
  {%- set language = model['language'] -%}
  {%- set identifier = model['alias'] -%}
  {%- set grant_config = config.get('grants') -%}

  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- set target_relation = api.Relation.create(
        identifier=identifier, schema=schema, database=database, type='table') -%}
  {%- set build_relation = api.Relation.create(
        identifier=identifier ~ '__dbt_build', schema=schema, database=database, type='table') -%}

  {{ run_hooks(pre_hooks) }}

  {{ adapter.drop_relation(build_relation) }}
  {%- call statement('main', language=language) -%}
    {{ create_table_as(False, build_relation, compiled_code, language) }}
  {%- endcall -%}

  {% if old_relation is not none %}
    {{ adapter.drop_relation(old_relation) }}
  {% endif %}
  {{ adapter.rename_relation(build_relation, target_relation) }}

  {% set should_revoke = should_revoke(old_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke) %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
