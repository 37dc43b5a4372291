-- The co-occurrence recommender (the paper's "basic co-occurrence matrix"): for every catalogue
-- item, the K items most often bought right after it, then the most popular items. BTRNN's
-- cold-start fallback for seeds without a Word2Vec vector, and a baseline in the evaluation.
{%- set k = var('top_k') %}

with catalog as (
    select * from {{ ref('int_products_catalog') }}
),

pairs as (
    select * from {{ ref('int_bought_next_pairs') }}
),

popularity as (
    select * from {{ ref('int_item_popularity') }}
),

seed_totals as (
    select
        seed_product_id,
        sum(pair_count) as seed_total
    from pairs
    group by seed_product_id
),

candidates as (
    -- Items bought right after the seed, and the K + 1 most popular (one may be the seed).
    select
        seed_product_id,
        next_product_id as product_id
    from pairs
    union
    select
        catalog.product_id as seed_product_id,
        popularity.product_id
    from catalog
    cross join popularity
    where popularity.popularity_rank <= {{ k + 1 }}
),

scored as (
    select
        candidates.seed_product_id,
        candidates.product_id,
        coalesce(pairs.pair_count, 0) as pair_count,
        {{ cooccurrence_score(
            'pairs.pair_count', 'seed_totals.seed_total', 'popularity.purchase_share'
        ) }} as score
    from candidates
    inner join popularity on candidates.product_id = popularity.product_id
    left join pairs
        on
            candidates.seed_product_id = pairs.seed_product_id
            and candidates.product_id = pairs.next_product_id
    left join seed_totals on candidates.seed_product_id = seed_totals.seed_product_id
    where candidates.product_id != candidates.seed_product_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by seed_product_id order by score desc, product_id asc
        ) as rank
    from scored
),

final as (
    select
        cast(seed_product_id as bigint) as seed_product_id,
        cast(rank as int) as rank,
        cast(product_id as bigint) as product_id,
        cast(score as double) as score,
        case when pair_count > 0 then 'cooccurrence' else 'popularity' end as recommender,
        'baseline' as model_version,
        current_timestamp() as scored_at
    from ranked
    where rank <= {{ k }}
)

select * from final
