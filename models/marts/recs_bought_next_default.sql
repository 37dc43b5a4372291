-- What consumers read by default for seed items: the table of the recommender the release gate
-- chose. Popularity has no seed table of its own; its place is the co-occurrence table, whose
-- rows fall back to popularity.
-- depends_on: {{ ref('recs_bought_next_btrnn') }}
-- depends_on: {{ ref('recs_bought_next_cooccurrence') }}
-- depends_on: {{ ref('recs_bought_next_word2vec') }}
{%- set chosen = published_recommender('recs_bought_next_btrnn') %}
{%- set table = {
    'btrnn': 'recs_bought_next_btrnn',
    'popularity': 'recs_bought_next_cooccurrence',
    'cooccurrence': 'recs_bought_next_cooccurrence',
    'word2vec': 'recs_bought_next_word2vec',
}[chosen] %}

with published as (
    select * from {{ ref(table) }}
)

select * from published
