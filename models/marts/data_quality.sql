-- What staging dropped or repaired, by reason, against all source order lines: guests,
-- cancellations (and lines whose cancellation status is unknown), quantity <= 0, pattern misses,
-- invalid ids, future dates (stg_shop__order_lines),
-- repeat lines of one product in one order (merged into one purchase) and purchases beyond
-- var max_history_length (capped histories).

with order_lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

purchases as (
    select * from {{ ref('stg_shop__orders') }}
),

ranked as (
    select * from {{ ref('int_purchases_ranked') }}
),

totals as (
    select count(*) as source_lines from order_lines
),

dropped as (
    select
        drop_reason as reason,
        count(*) as affected_rows
    from order_lines
    where drop_reason is not null
    group by drop_reason
),

merged_duplicates as (
    select
        'duplicate_line' as reason,
        (
            select count(*) from order_lines
            where drop_reason is null
        )
        - (select count(*) from purchases) as affected_rows
),

capped as (
    select
        'capped_history' as reason,
        (select count(*) from purchases) - (select count(*) from ranked) as affected_rows
),

reasons as (
    select * from dropped
    union all
    select * from merged_duplicates
    union all
    select * from capped
),

final as (
    select
        reasons.reason,
        reasons.affected_rows,
        totals.source_lines,
        reasons.affected_rows / greatest(totals.source_lines, 1) as affected_share
    from reasons
    cross join totals
)

select * from final
