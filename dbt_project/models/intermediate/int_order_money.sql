{#-
    Money per order the OMS knows: captured and refunded totals (payments REFUNDED amounts; a
    REFUND_INITIATED is not yet money returned), whether the order is fully refunded, and revenue moments.
-#}
with

orders as (

    select * from {{ ref('int_order_attributes') }}

),

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

money_events as (

    select
        order_id,
        sum(case when source_system = 'payments' and canonical_state = 'captured' then amount else 0 end)
            as captured_amount,
        sum(case when source_system = 'payments' and canonical_state = 'refunded' then amount else 0 end)
            as refunded_total,
        min(case
            when source_system = 'payments' and canonical_state in ('refund_initiated', 'refunded') then event_at
        end) as first_refund_at,
        min(case when source_system = 'erp' then event_at end) as first_erp_event_at,
        min(case when source_system = 'erp' and canonical_state = 'revenue_recognized' then event_at end)
            as revenue_recognized_at
    from timeline
    where source_system in ('payments', 'erp')
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.amount as order_amount,
        orders.currency,
        coalesce(money_events.captured_amount, 0) as captured_amount,
        coalesce(money_events.refunded_total, 0) as refunded_total,
        (
            orders.amount is not null
            and coalesce(money_events.refunded_total, 0) >= orders.amount
            and coalesce(money_events.refunded_total, 0) > 0
        ) as is_fully_refunded,
        money_events.first_refund_at,
        money_events.first_erp_event_at,
        money_events.revenue_recognized_at
    from orders
    left join money_events
        on orders.order_id = money_events.order_id

)

select * from final
