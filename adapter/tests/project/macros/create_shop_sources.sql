{#- The source tables, from inline rows: a real source for the models to read (on-run-start). -#}
{% macro create_shop_sources() %}
  {% do run_query("create schema if not exists " ~ target.schema) %}
  {% call statement('raw_customers') %}
    create table if not exists {{ target.schema }}.raw_customers
    using parquet
    as
    select *
    from values
      (1, 'ada'),
      (2, 'grace'),
      (3, 'linus') as t(customer_id, customer_name)
  {% endcall %}
  {% call statement('raw_orders') %}
    create table if not exists {{ target.schema }}.raw_orders
    using parquet
    as
    select *
    from values
      (10, 1, 5),
      (11, 1, 7),
      (12, 2, 4),
      (13, 3, 1) as t(order_id, customer_id, amount)
  {% endcall %}
{% endmacro %}
