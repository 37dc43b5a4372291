-- The test target's rank under recs_bought_next_cooccurrence's score for the user's last item
-- (macro cooccurrence_score), over all of I' rather than its top K: what
-- recs_next_order_cooccurrence would publish with an unlimited K. Like the table, the seed is
-- never recommended. Users whose seed is not a catalogue item (no rows in the seed table) are
-- left to eval_target_ranks, which gives them the popularity baseline's rank, as the table does.
-- Computed without scoring all of I' per user: the seed's followers are compared one by one;
-- every other item scores share / (seed total + 1), so those above an unseen target are the items
-- bought more often.

with tests as (
    select * from {{ ref('int_eval_test_inputs') }}
),

catalog as (
    select * from {{ ref('int_products_catalog') }}
),

pairs as (
    select * from {{ ref('int_bought_next_pairs') }}
),

popularity as (
    select * from {{ ref('int_item_popularity') }}
),

candidates as (
    select count(*) as candidate_count from {{ ref('int_eval_candidates') }}
),

seed_totals as (
    select
        seed_product_id,
        sum(pair_count) as seed_total
    from pairs
    group by seed_product_id
),

standing as (
    select
        product_id,
        purchase_count,
        purchase_share,
        rank() over (order by purchase_count desc) - 1 as more_popular
    from popularity
),

seeded_tests as (
    select tests.*
    from tests
    left semi join catalog on tests.seed_product_id = catalog.product_id
),

followers as (
    -- The items of I' bought right after each seed (pairs never pair an item with itself).
    select
        pairs.seed_product_id,
        standing.purchase_count,
        {{ cooccurrence_score(
            'pairs.pair_count', 'seed_totals.seed_total', 'standing.purchase_share'
        ) }} as score
    from pairs
    inner join standing on pairs.next_product_id = standing.product_id
    inner join seed_totals on pairs.seed_product_id = seed_totals.seed_product_id
),

targets as (
    select
        seeded_tests.user_id,
        seeded_tests.seed_product_id,
        -- The table publishes items of I' only, and never the seed.
        standing.product_id is not null
        and seeded_tests.target_product_id != seeded_tests.seed_product_id as reachable,
        coalesce(pairs.pair_count, 0) as target_pair_count,
        standing.purchase_count as target_purchase_count,
        standing.more_popular,
        {{ cooccurrence_score(
            'pairs.pair_count', 'seed_totals.seed_total', 'standing.purchase_share'
        ) }} as target_score
    from seeded_tests
    left join standing on seeded_tests.target_product_id = standing.product_id
    left join pairs
        on
            seeded_tests.seed_product_id = pairs.seed_product_id
            and seeded_tests.target_product_id = pairs.next_product_id
    left join seed_totals on seeded_tests.seed_product_id = seed_totals.seed_product_id
),

followers_above as (
    select
        targets.user_id,
        count_if(followers.score > targets.target_score) as followers_above,
        count_if(followers.purchase_count > targets.target_purchase_count) as popular_followers
    from targets
    inner join followers on targets.seed_product_id = followers.seed_product_id
    where targets.reachable
    group by targets.user_id
),

final as (
    select
        targets.user_id,
        'cooccurrence' as recommender,
        cast(
            case
                when not targets.reachable then candidates.candidate_count
                when targets.target_pair_count > 0 then 1 + coalesce(above.followers_above, 0)
                -- An unseen target: the followers, then the other items bought more often
                -- (neither a follower nor the seed).
                else
                    1 + coalesce(above.followers_above, 0) + targets.more_popular
                    - coalesce(above.popular_followers, 0)
                    - case
                        when
                            seed_standing.purchase_count > targets.target_purchase_count
                            then 1
                        else 0
                    end
            end as int
        ) as rank
    from targets
    cross join candidates
    left join followers_above as above on targets.user_id = above.user_id
    left join standing as seed_standing on targets.seed_product_id = seed_standing.product_id
)

select * from final
