{#-
    R4 revenue_not_recognized: delivered at D (the carrier's first delivered, else the OMS's) and the ERP
    has no revenue_recognized by D + revenue_lag: open while none has come, resolved when it came late.
    Start = D.
-#}
{%- set due_at = dbt.dateadd('hour', var('revenue_lag_hours'), 'orders.delivered_at') %}

with

orders as (

    select * from {{ ref('int_order_attributes') }}

),

order_money as (

    select * from {{ ref('int_order_money') }}

),

late_revenue as (

    select
        orders.order_id,
        orders.delivered_at,
        orders.delivered_by_system,
        {{ due_at }} as due_at,
        order_money.revenue_recognized_at,
        orders.amount,
        orders.currency
    from orders
    inner join order_money
        on orders.order_id = order_money.order_id
    where orders.delivered_at is not null
        and {{ recon.is_past_due('order_money.revenue_recognized_at', due_at) }}

),

final as (

    select
        order_id,
        'R4' as rule_id,
        delivered_at as divergence_start,
        revenue_recognized_at as resolved_at,
        due_at as detected_at,
        'erp' as subject_system,
        {{ dbt.concat(['delivered_by_system', "',erp'"]) }} as systems,
        'revenue_recognized' as expected_state,
        'not_recognized' as observed_state,
        amount as exposure_amount,
        currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        {{ recon.no_rule_evidence() }},
        {{ dbt.concat([
            recon.system_label('delivered_by_system'), "' delivered at '", recon.format_timestamp('delivered_at'),
            "case when revenue_recognized_at is null then '; ERP has recognized no revenue yet' else '; ERP recognized revenue only at ' end",
            "coalesce(" ~ recon.format_timestamp('revenue_recognized_at') ~ ", '')",
        ]) }} as summary_fact
    from late_revenue

)

select * from final
