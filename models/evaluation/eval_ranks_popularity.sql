-- The test target's rank under recs_next_order_popularity's score (purchase share over I'):
-- 1 + the items of I' bought strictly more often (SPEC: ties favour the target).

with tests as (
    select * from {{ ref('int_eval_test_inputs') }}
),

popularity as (
    select * from {{ ref('int_item_popularity') }}
),

candidates as (
    select count(*) as candidate_count from {{ ref('int_eval_candidates') }}
),

standing as (
    select
        product_id,
        rank() over (order by purchase_count desc) as rank
    from popularity
),

final as (
    select
        tests.user_id,
        'popularity' as recommender,
        cast(coalesce(standing.rank, candidates.candidate_count) as int) as rank
    from tests
    cross join candidates
    left join standing on tests.target_product_id = standing.product_id
)

select * from final
