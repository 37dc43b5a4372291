{#
  dbt-spark's table materialization drops the published table before building the new one, so a
  failed build loses it and readers find nothing meanwhile. This one builds beside it, named with
  the run's start time and invocation id, checks the build, and only then publishes it:

  - `publish: swap` (default): the old table is renamed to `<name>__dbt_backup`, the build to
    `<name>`, then the backup is dropped. A run killed between the renames leaves the backup, and
    the next run restores it instead of losing it. Readers may miss the name for a moment.
  - `publish: view`: `<name>` is a view over the build table `<name>__p<time>_<id>`, switched in
    one metastore update, so a reader always finds a complete old or new table. The previous
    build is kept until the next run publishes (queries in flight finish); older builds are
    dropped.

  Before publishing (always with `publish: view`, or with `check_before_publish: true`) the
  model's own error-severity generic tests run against the build, with `publish_min_rows`
  (default 1) and `publish_max_row_ratio` against the published rows; on failure the build is
  dropped, the published table stays, and the model fails naming each failing check.
#}
{% materialization table, adapter='spark_python', supported_languages=['sql', 'python'] %}
  {%- set language = model['language'] -%}
  {%- set identifier = model['alias'] -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set publish = config.get('publish', 'swap') -%}
  {%- if publish not in ('swap', 'view') -%}
    {%- do exceptions.raise_compiler_error(model.name ~ ": publish must be 'swap' or 'view', not " ~ publish) -%}
  {%- endif -%}
  {%- set suffix = spark_python__build_suffix() -%}

  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- set backup_relation = spark_python__relation_named(identifier ~ '__dbt_backup') -%}
  {%- if publish == 'swap' and old_relation is none
        and adapter.get_relation(database=database, schema=schema, identifier=backup_relation.identifier) is not none -%}
    {# A run died between its two renames: put the last good table back first. #}
    {% do log(model.name ~ ': restoring ' ~ backup_relation ~ ' left by an interrupted run', info=true) %}
    {{ adapter.rename_relation(backup_relation, spark_python__relation_named(identifier)) }}
    {%- set old_relation = spark_python__relation_named(identifier) -%}
  {%- endif -%}

  {%- if publish == 'view' -%}
    {%- set build_relation = spark_python__relation_named(identifier ~ '__p' ~ suffix) -%}
    {%- set target_relation = spark_python__relation_named(identifier, 'view') -%}
    {%- set previous_relation = none -%}
    {%- if old_relation is not none and old_relation.is_view -%}
      {%- set previous_relation = spark_python__published_build(old_relation) -%}
    {%- elif old_relation is not none -%}
      {%- set previous_relation = old_relation -%}
    {%- endif -%}
  {%- else -%}
    {%- set build_relation = spark_python__relation_named(identifier ~ '__dbt_build_' ~ suffix) -%}
    {%- set target_relation = spark_python__relation_named(identifier) -%}
    {%- set previous_relation = old_relation -%}
  {%- endif -%}

  {{ run_hooks(pre_hooks) }}

  {{ adapter.drop_relation(build_relation) }}
  {%- call statement('main', language=language) -%}
    {{ create_table_as(False, build_relation, compiled_code, language) }}
  {%- endcall -%}

  {%- if config.get('check_before_publish', publish == 'view') -%}
    {{ spark_python__check_before_publish(build_relation, previous_relation) }}
  {%- endif -%}

  {%- if publish == 'view' -%}
    {%- if old_relation is not none and not old_relation.is_view -%}
      {# Once, when a table becomes a published view: keep the old rows as the previous build. #}
      {%- set previous_relation = spark_python__relation_named(identifier ~ '__p00000000000000_00000000') -%}
      {{ adapter.rename_relation(old_relation, previous_relation) }}
    {%- endif -%}
    {# Column comments go on the build before it goes live: the view shows its columns'. #}
    {% do persist_docs(build_relation, model, for_relation=false) %}
    {# Spark's `create or replace view` drops the view and creates it again: a reader can miss
       it in between. `alter view ... as` updates it in one metastore call. The property that
       names the build follows; until it does it still names the build before, which is kept. #}
    {%- if old_relation is none or not old_relation.is_view -%}
      {# `if not exists`: a run publishing the same name at the same moment may have made it. #}
      {%- call statement('create_published_view') -%}
        create view if not exists {{ target_relation }} as select * from {{ build_relation }}
      {%- endcall -%}
    {%- endif -%}
    {%- call statement('publish') -%}
      alter view {{ target_relation }} as select * from {{ build_relation }}
    {%- endcall -%}
    {%- call statement('published_build') -%}
      alter view {{ target_relation }} set tblproperties (
        'dbt.published_build' = '{{ build_relation.identifier }}', 'dbt.invocation_id' = '{{ invocation_id }}')
    {%- endcall -%}
    {# Keep the new and the previous build; drop only builds older than the previous one, so
       never a build of a run that started later (or at the same time) and may still publish. #}
    {%- if previous_relation is not none -%}
      {%- for relation in spark_python__builds_of(identifier, '__p') -%}
        {%- if relation.identifier < previous_relation.identifier -%}
          {{ adapter.drop_relation(relation) }}
        {%- endif -%}
      {%- endfor -%}
    {%- endif -%}
  {%- else -%}
    {%- if old_relation is not none and old_relation.is_view -%}
      {{ adapter.drop_relation(old_relation) }}
    {%- elif old_relation is not none -%}
      {{ adapter.drop_relation(backup_relation) }}
      {{ adapter.rename_relation(old_relation, backup_relation) }}
    {%- endif -%}
    {{ adapter.rename_relation(build_relation, target_relation) }}
    {{ adapter.drop_relation(backup_relation) }}
  {%- endif -%}

  {% set should_revoke = should_revoke(old_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke) %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
