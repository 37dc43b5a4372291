{#
  Helpers of the table materialization (table.sql): build names, checks before publishing,
  the published build behind a view, and the clean-up of old builds.
#}

{# This invocation's build suffix: start time, so builds sort by age, and invocation id, so two
   runs never touch each other's build. #}
{% macro spark_python__build_suffix() %}
  {{- return(run_started_at.strftime('%Y%m%d%H%M%S') ~ '_' ~ invocation_id.replace('-', '')[:8]) -}}
{% endmacro %}


{% macro spark_python__relation_named(identifier, type='table') %}
  {{- return(api.Relation.create(identifier=identifier, schema=schema, database=database, type=type)) -}}
{% endmacro %}


{# The table a published view reads, from the property the materialization sets on the view. #}
{% macro spark_python__published_build(view_relation) %}
  {%- set rows = run_query("show tblproperties " ~ view_relation ~ " ('dbt.published_build')") -%}
  {%- set value = rows.rows[0][1] if rows.rows | length > 0 else '' -%}
  {%- if value.startswith(view_relation.identifier ~ '__p') -%}
    {{- return(spark_python__relation_named(value)) -}}
  {%- endif -%}
  {{- return(none) -}}
{% endmacro %}


{# Builds of this model in the schema (`<name><marker><suffix>`), oldest first. #}
{% macro spark_python__builds_of(identifier, marker) %}
  {%- set pattern = '^' ~ identifier ~ marker ~ '[0-9]{14}_[0-9a-f]{8}$' -%}
  {%- set found = [] -%}
  {%- for row in run_query("show tables in " ~ schema ~ " like '" ~ identifier ~ marker ~ "*'").rows -%}
    {%- if modules.re.match(pattern, row[1], modules.re.IGNORECASE) -%}
      {%- do found.append(spark_python__relation_named(row[1])) -%}
    {%- endif -%}
  {%- endfor -%}
  {{- return(found | sort(attribute='identifier')) -}}
{% endmacro %}


{# A test argument as dbt stored it ("{{ var('top_k') }}", "ref('x')") resolved without calling
   ref() here: at run time ref() only admits the model's own dependencies. #}
{% macro spark_python__test_argument(value) %}
  {%- if value is not string -%}{{ return(value) }}{%- endif -%}
  {%- set text = value.strip() -%}
  {%- set inner = modules.re.sub('^\\{\\{\\s*(.*?)\\s*\\}\\}$', '\\1', text) -%}
  {%- set ref_call = modules.re.match("^ref\\(\\s*['\"]([^'\"]+)['\"]\\s*\\)$", inner) -%}
  {%- set source_call = modules.re.match("^source\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]\\s*\\)$", inner) -%}
  {%- set var_call = modules.re.match("^var\\(\\s*['\"]([^'\"]+)['\"]\\s*\\)$", inner) -%}
  {%- if ref_call -%}
    {%- for node in graph.nodes.values() if node.name == ref_call.group(1) and node.resource_type in ('model', 'seed', 'snapshot') -%}
      {{- return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) -}}
    {%- endfor -%}
  {%- elif source_call -%}
    {%- for node in graph.sources.values() if node.source_name == source_call.group(1) and node.name == source_call.group(2) -%}
      {{- return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.identifier)) -}}
    {%- endfor -%}
  {%- elif var_call -%}
    {{- return(var(var_call.group(1))) -}}
  {%- elif '{{' not in text and '{%' not in text -%}
    {{- return(value) -}}
  {%- endif -%}
  {%- do exceptions.raise_compiler_error(
      model.name ~ ": the test argument " ~ value ~ " cannot be resolved before publishing; "
      ~ "use a literal, ref(), source() or var()") -%}
{% endmacro %}


{# One query: the failing-row count of each of the model's own error-severity generic tests, run
   against the new build, plus its row count. #}
{% macro spark_python__checks_query(build_relation) %}
  {%- set parts = ["select '__row_count__' as check_name, count(*) as failures from " ~ build_relation] -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'test' and node.attached_node == model.unique_id
        and node.test_metadata and node.config.severity | lower == 'error' and node.config.enabled -%}
    {%- set meta = node.test_metadata -%}
    {%- set macro_name = 'test_' ~ meta.name -%}
    {%- set test_macro = context.get(meta.namespace)[macro_name] if meta.namespace else context.get(macro_name) -%}
    {%- if test_macro is none -%}
      {%- do exceptions.raise_compiler_error(model.name ~ ": test macro " ~ macro_name ~ " not found") -%}
    {%- endif -%}
    {%- set where = node.config.where -%}
    {%- set subject = '(select * from ' ~ build_relation ~ ' where ' ~ where ~ ')' if where else build_relation -%}
    {%- set kwargs = {} -%}
    {%- for key, value in meta.kwargs.items() if key != 'model' -%}
      {%- do kwargs.update({key: spark_python__test_argument(value)}) -%}
    {%- endfor -%}
    {%- set test_sql = test_macro(model=subject, **kwargs) -%}
    {%- do parts.append("select '" ~ node.name ~ "' as check_name, count(*) as failures from (" ~ test_sql ~ ") failing") -%}
  {%- endfor -%}
  {{- return(parts | join('\nunion all\n')) -}}
{% endmacro %}


{# Runs the checks; on failure drops the build and fails the model naming each failing check, so
   the published table stays as it was. #}
{% macro spark_python__check_before_publish(build_relation, previous_relation) %}
  {%- set results = run_query(spark_python__checks_query(build_relation)) -%}
  {%- set problems = [] -%}
  {%- set ns = namespace(rows=0) -%}
  {%- for row in results.rows -%}
    {%- if row[0] == '__row_count__' -%}
      {%- set ns.rows = row[1] | int -%}
    {%- elif row[1] | int > 0 -%}
      {%- do problems.append(row[0] ~ ' (' ~ row[1] ~ ' failing rows)') -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set min_rows = config.get('publish_min_rows', 1) | int -%}
  {%- if ns.rows < min_rows -%}
    {%- do problems.append('row count ' ~ ns.rows ~ ' is below publish_min_rows ' ~ min_rows) -%}
  {%- endif -%}
  {%- set max_ratio = config.get('publish_max_row_ratio') -%}
  {%- if max_ratio | string | lower not in ('', 'none', 'null') and previous_relation is not none and ns.rows > 0 -%}
    {%- set previous_rows = run_query('select count(*) from ' ~ previous_relation).rows[0][0] | int -%}
    {%- if previous_rows > 0 and [ns.rows / previous_rows, previous_rows / ns.rows] | max > max_ratio | float -%}
      {%- do problems.append('row count ' ~ ns.rows ~ ' vs ' ~ previous_rows ~ ' published: beyond publish_max_row_ratio ' ~ max_ratio) -%}
    {%- endif -%}
  {%- endif -%}
  {%- if problems -%}
    {{ adapter.drop_relation(build_relation) }}
    {%- do exceptions.raise_compiler_error(
        model.name ~ ": the new build was not published (the previous one stays) because these checks failed: "
        ~ problems | join('; ')) -%}
  {%- endif -%}
{% endmacro %}
