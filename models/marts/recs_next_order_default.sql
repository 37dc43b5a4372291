-- What consumers read by default: the personalised table of the recommender the release gate
-- chose (macro published_recommender: BTRNN unless the last evaluation found a better baseline).
-- depends_on: {{ ref('recs_next_order_btrnn') }}
-- depends_on: {{ ref('recs_next_order_popularity') }}
-- depends_on: {{ ref('recs_next_order_cooccurrence') }}
-- depends_on: {{ ref('recs_next_order_word2vec') }}

with published as (
    select * from {{ ref('recs_next_order_' ~ published_recommender('recs_next_order_btrnn')) }}
)

select * from published
