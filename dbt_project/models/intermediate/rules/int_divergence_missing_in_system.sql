{#-
    R8 missing_in_system: an OMS order created more than `missing_after` before as_of with no crm event
    by then (start = created), or delivered more than `missing_after` ago with no erp event by then
    (start = delivered). Open while the event is missing, resolved when it arrived late.
-#}
{%- set missing_after = var('missing_after_hours') %}

with

orders as (

    select * from {{ ref('int_order_attributes') }}

),

order_money as (

    select * from {{ ref('int_order_money') }}

),

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

first_crm_events as (

    select
        order_id,
        min(event_at) as first_event_at
    from timeline
    where source_system = 'crm'
    group by order_id

),

expectations as (

    select
        orders.order_id,
        'crm' as missing_system,
        'oms' as reference_system,
        'created' as reference_state,
        orders.created_at as expected_since,
        first_crm_events.first_event_at as arrived_at,
        orders.amount,
        orders.currency
    from orders
    left join first_crm_events
        on orders.order_id = first_crm_events.order_id
    where orders.created_at is not null

    union all

    select
        orders.order_id,
        'erp' as missing_system,
        orders.delivered_by_system as reference_system,
        'delivered' as reference_state,
        orders.delivered_at as expected_since,
        order_money.first_erp_event_at as arrived_at,
        orders.amount,
        orders.currency
    from orders
    inner join order_money
        on orders.order_id = order_money.order_id
    where orders.delivered_at is not null

),

missing as (

    select
        expectations.*,
        {{ dbt.dateadd('hour', missing_after, 'expected_since') }} as due_at
    from expectations

),

final as (

    select
        order_id,
        'R8' as rule_id,
        expected_since as divergence_start,
        arrived_at as resolved_at,
        due_at as detected_at,
        missing_system as subject_system,
        {{ dbt.concat(['reference_system', "','", 'missing_system']) }} as systems,
        reference_state as expected_state,
        'missing' as observed_state,
        amount as exposure_amount,
        currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        {{ recon.no_rule_evidence() }},
        {{ dbt.concat([
            "'The order was '", 'reference_state', "' at '", recon.format_timestamp('expected_since'), "' but '",
            recon.system_label('missing_system'),
            "case when arrived_at is null then ' has no event for it yet' else ' had no event for it until ' end",
            "coalesce(" ~ recon.format_timestamp('arrived_at') ~ ", '')",
        ]) }} as summary_fact
    from missing
    where {{ recon.is_past_due('arrived_at', 'due_at') }}

)

select * from final
