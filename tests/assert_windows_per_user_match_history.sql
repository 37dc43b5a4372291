-- Windows per user: m - 11 for m >= 12, 1 for 2 <= m < 12, none for m = 1
-- (every target position from 2 with var every_prefix_windows: m - 1).
{%- set n = var('sequence_length') %}

with histories as (
    select * from {{ ref('int_purchase_histories') }}
),

windows as (
    select
        user_id,
        count(*) as window_count
    from {{ ref('int_training_windows') }}
    group by user_id
),

expected as (
    select
        user_id,
        purchase_count,
        {%- if var('every_prefix_windows') %}
        purchase_count - 1 as expected_windows
        {%- else %}
        case
            when purchase_count >= {{ n }} then purchase_count - {{ n - 1 }}
            when purchase_count >= 2 then 1
            else 0
        end as expected_windows
        {%- endif %}
    from histories
)

select
    coalesce(expected.user_id, windows.user_id) as user_id,
    expected.purchase_count,
    expected.expected_windows,
    coalesce(windows.window_count, 0) as window_count
from expected
full outer join windows on expected.user_id = windows.user_id
where coalesce(expected.expected_windows, -1) != coalesce(windows.window_count, 0)
