{#-
    R11 overdue_unfulfilled: as_of is past promised_by and the order was not delivered (by the carrier,
    else the OMS) nor in an rto state by then. Start = promised_by. Open while unfulfilled, resolved at
    the late delivery or rto. Cancelled, fully refunded and 3p orders still fire (informational queue).
-#}
with

orders as (

    select * from {{ ref('int_order_attributes') }}

),

fulfilment as (

    select
        orders.*,
        case
            when delivered_at is null then rto_at
            when rto_at is null then delivered_at
            when rto_at < delivered_at then rto_at
            else delivered_at
        end as fulfilled_at
    from orders
    where promised_delivery_at is not null

),

overdue as (

    select * from fulfilment
    where {{ recon.is_past_due('fulfilled_at', 'promised_delivery_at') }}

),

final as (

    select
        order_id,
        'R11' as rule_id,
        promised_delivery_at as divergence_start,
        fulfilled_at as resolved_at,
        promised_delivery_at as detected_at,
        case when carrier is not null then 'carrier' else 'oms' end as subject_system,
        case when carrier is not null then 'oms,carrier' else 'oms' end as systems,
        'delivered' as expected_state,
        'not_delivered' as observed_state,
        amount as exposure_amount,
        currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        {{ recon.no_rule_evidence() }},
        {{ dbt.concat([
            "'Promised by '", recon.format_timestamp('promised_delivery_at'),
            "case when fulfilled_at is null then '; not delivered yet' else '; delivered or returned only at ' end",
            "coalesce(" ~ recon.format_timestamp('fulfilled_at') ~ ", '')",
        ]) }} as summary_fact
    from overdue

)

select * from final
