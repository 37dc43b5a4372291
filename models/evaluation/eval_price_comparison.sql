-- The paper's price check (section 3.2): the price of every item each recommender's published
-- table recommends to the tested users, beside the two references the paper compares with: each
-- tested user's seed (their last purchase, what the email is sent from) and every purchase of
-- every user. `btrnn
-- evaluate` compares the distributions (btrnn/evaluation/prices.py). Prices come from
-- int_products_catalog; a product without one keeps a null price, so its share can be reported.

with tests as (
    select * from {{ ref('int_eval_test_inputs') }}
),

histories as (
    select * from {{ ref('int_purchase_histories') }}
),

catalog as (
    select * from {{ ref('int_products_catalog') }}
),

btrnn as (
    select * from {{ ref('recs_next_order_btrnn') }}
),

btrnn_seed as (
    select * from {{ ref('recs_bought_next_btrnn') }}
),

popularity as (
    select * from {{ ref('recs_next_order_popularity') }}
),

cooccurrence as (
    select * from {{ ref('recs_next_order_cooccurrence') }}
),

word2vec as (
    select * from {{ ref('recs_next_order_word2vec') }}
),

tested_histories as (
    select histories.*
    from histories
    left semi join tests on histories.user_id = tests.user_id
),

seeds as (
    select
        user_id,
        element_at(product_ids, -1) as product_id
    from tested_histories
),

personal as (
    select
        'btrnn' as recommender,
        user_id,
        product_id
    from btrnn
    union all
    select
        'popularity' as recommender,
        user_id,
        product_id
    from popularity
    union all
    select
        'cooccurrence' as recommender,
        user_id,
        product_id
    from cooccurrence
    union all
    select
        'word2vec' as recommender,
        user_id,
        product_id
    from word2vec
),

recommended as (
    select personal.*
    from personal
    left semi join tests on personal.user_id = tests.user_id
    union all
    -- The seed-item table as a trigger email sends it: the rows of the user's last purchase.
    select
        'btrnn_seed' as recommender,
        seeds.user_id,
        btrnn_seed.product_id
    from seeds
    inner join btrnn_seed on seeds.product_id = btrnn_seed.seed_product_id
),

samples as (
    select
        recommender,
        'recommended' as sample,
        product_id
    from recommended
    union all
    select
        cast(null as string) as recommender,
        'seed' as sample,
        product_id
    from seeds
    union all
    select
        cast(null as string) as recommender,
        'purchase' as sample,
        purchases.product_id
    from histories
        lateral view explode(histories.product_ids) purchases as product_id
),

final as (
    select
        samples.recommender,
        samples.sample,
        cast(samples.product_id as bigint) as product_id,
        cast(catalog.price as double) as price
    from samples
    left join catalog on samples.product_id = catalog.product_id
)

select * from final
