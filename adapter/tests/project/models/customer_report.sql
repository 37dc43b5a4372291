with customer_totals as (
    select * from {{ ref('customer_totals') }}
),

final as (
    select
        customer_id,
        customer_label,
        multiplied_total
    from customer_totals
)

select * from final
