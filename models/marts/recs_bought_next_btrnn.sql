-- BTRNN's seed-item table: the model's rows for every seed with a Word2Vec vector, and the
-- co-occurrence recommender's rows (labelled as theirs) for the cold-start seeds without one.

with scored as (
    select * from {{ ref('int_seeds_scored') }}
),

seeds as (
    select * from {{ ref('int_scoring_inputs_seeds') }}
),

fallback as (
    select * from {{ ref('recs_bought_next_cooccurrence') }}
),

scoring_run as (
    select
        max(model_version) as model_version,
        max(scored_at) as scored_at
    from scored
),

cold_seeds as (
    select seeds.seed_product_id
    from seeds
    left anti join scored on seeds.seed_product_id = scored.seed_product_id
),

fallback_rows as (
    select
        fallback.seed_product_id,
        fallback.rank,
        fallback.product_id,
        fallback.score,
        fallback.recommender,
        scoring_run.model_version,
        scoring_run.scored_at
    from fallback
    inner join cold_seeds on fallback.seed_product_id = cold_seeds.seed_product_id
    cross join scoring_run
    where fallback.rank <= {{ var('top_k') }}
),

final as (
    select
        seed_product_id,
        rank,
        product_id,
        score,
        recommender,
        model_version,
        scored_at
    from scored
    union all
    select * from fallback_rows
)

select * from final
