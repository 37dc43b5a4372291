-- Each tested user's rank of their test target under every recommender, as its tables publish
-- it (SPEC "Evaluation protocol": 1 + candidates scored strictly higher; a target a table
-- cannot publish ranks last). The release gate and the evaluation report read this table.
-- The seed-item recommenders fall back as their per-user tables do: BTRNN's seed table to
-- co-occurrence for seeds without a vector, co-occurrence and Word2Vec to popularity.

with tests as (
    select * from {{ ref('int_eval_test_inputs') }}
),

candidates as (
    select count(*) as candidate_count from {{ ref('int_eval_candidates') }}
),

btrnn as (
    select * from {{ ref('eval_ranks_btrnn') }}
),

word2vec as (
    select * from {{ ref('eval_ranks_word2vec') }}
),

cooccurrence as (
    select * from {{ ref('eval_ranks_cooccurrence') }}
),

popularity as (
    select * from {{ ref('eval_ranks_popularity') }}
),

model_run as (
    select max(model_version) as model_version from btrnn
),

per_user as (
    select
        tests.user_id,
        cast(personal.rank as int) as btrnn,
        cast(coalesce(seeded.rank, cooccurrence.rank, candidates.candidate_count) as int)
            as btrnn_seed,
        cast(popularity.rank as int) as popularity,
        cast(coalesce(cooccurrence.rank, popularity.rank) as int) as cooccurrence,
        cast(coalesce(word2vec.rank, popularity.rank) as int) as word2vec
    from tests
    cross join candidates
    left join btrnn as personal
        on tests.user_id = personal.user_id and personal.recommender = 'btrnn'
    left join btrnn as seeded
        on tests.user_id = seeded.user_id and seeded.recommender = 'btrnn_seed'
    left join popularity on tests.user_id = popularity.user_id
    left join cooccurrence on tests.user_id = cooccurrence.user_id
    left join word2vec on tests.user_id = word2vec.user_id
),

final as (
    select
        cast(per_user.user_id as bigint) as user_id,
        ranks.recommender,
        ranks.rank,
        case
            when ranks.recommender like 'btrnn%' then model_run.model_version
            else 'baseline'
        end as model_version
    from per_user
    cross join model_run
        lateral view stack(
            5,
            'btrnn', per_user.btrnn,
            'btrnn_seed', per_user.btrnn_seed,
            'popularity', per_user.popularity,
            'cooccurrence', per_user.cooccurrence,
            'word2vec', per_user.word2vec
        ) ranks as recommender, rank
)

select * from final
