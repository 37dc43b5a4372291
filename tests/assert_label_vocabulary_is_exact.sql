-- I' is exactly the set of items bought at rank >= 2, indexed 0..|I'|-1 without gaps.

with vocabulary as (
    select * from {{ ref('int_label_vocabulary') }}
),

expected as (
    select distinct exploded.product_id
    from {{ ref('int_purchase_histories') }}
        lateral view posexplode(product_ids) exploded as position, product_id
    where exploded.position >= 1
),

missing_or_extra as (
    select
        coalesce(vocabulary.product_id, expected.product_id) as product_id,
        'not exactly I''' as problem
    from vocabulary
    full outer join expected on vocabulary.product_id = expected.product_id
    where vocabulary.product_id is null or expected.product_id is null
),

index_gaps as (
    select
        cast(null as bigint) as product_id,
        'label_index is not 0..n-1' as problem
    from vocabulary
    having
        min(label_index) != 0
        or max(label_index) != count(*) - 1
        or count(distinct label_index) != count(*)
)

select * from missing_or_extra
union all
select * from index_gaps
