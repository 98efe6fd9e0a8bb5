{#-
    R6 ticket_closed_before_order: a crm ticket_resolved or exchange_requested at T while the OMS's
    delivery state at T is not delivered, cancelled or rto_delivered (or the OMS has none yet). One
    divergence per order, from its first such event; resolved when the OMS reaches one of those states.
-#}
{%- set closing_states = "('delivered', 'cancelled', 'rto_delivered')" %}

with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

ticket_events as (

    select timeline.*
    from timeline
    inner join orders
        on timeline.order_id = orders.order_id
    where timeline.source_system = 'crm'
        and timeline.event_type in ('ticket_resolved', 'exchange_requested')

),

oms_states as (

    select * from timeline
    where source_system = 'oms'
        and delivery_phase is not null

),

oms_closures as (

    select * from oms_states
    where canonical_state in {{ closing_states }}

),

oms_state_matches as (

    select
        ticket_events.event_id as ticket_event_id,
        oms_states.canonical_state,
        oms_states.event_at,
        oms_states.recorded_at,
        oms_states.event_id
    from ticket_events
    inner join oms_states
        on ticket_events.order_id = oms_states.order_id
        and oms_states.event_at <= ticket_events.event_at

),

oms_state_at_ticket as (

    {{ recon.deduplicate(
        'oms_state_matches', 'ticket_event_id', 'event_at desc, recorded_at desc, event_id desc'
    ) }}

),

early_tickets as (

    select
        ticket_events.*,
        oms_state_at_ticket.canonical_state as oms_state
    from ticket_events
    left join oms_state_at_ticket
        on ticket_events.event_id = oms_state_at_ticket.ticket_event_id
    where coalesce(oms_state_at_ticket.canonical_state, 'none') not in {{ closing_states }}

),

first_early_ticket as (

    {{ recon.deduplicate('early_tickets', 'order_id', 'event_at, event_id') }}

),

final as (

    select
        first_early_ticket.order_id,
        'R6' as rule_id,
        first_early_ticket.event_at as divergence_start,
        {{ recon.first_order_event_after(
            'oms_closures', 'first_early_ticket.order_id', 'first_early_ticket.event_at'
        ) }} as resolved_at,
        first_early_ticket.event_at as detected_at,
        'crm' as subject_system,
        'crm,oms' as systems,
        coalesce(first_early_ticket.oms_state, 'none') as expected_state,
        first_early_ticket.event_type as observed_state,
        orders.amount as exposure_amount,
        orders.currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        false as is_rule_mapping_error,
        first_early_ticket.actor_type = 'agent' as is_manual_override,
        {{ dbt.concat(["'the ticket action was made by '", 'first_early_ticket.actor']) }} as rule_evidence,
        {{ dbt.concat([
            "'CRM '", "case when first_early_ticket.event_type = 'ticket_resolved' then 'resolved a ticket' else 'opened an exchange request' end",
            "' at '", recon.format_timestamp('first_early_ticket.event_at'), "' while OMS showed '",
            recon.state_label('first_early_ticket.oms_state'),
        ]) }} as summary_fact
    from first_early_ticket
    left join orders
        on first_early_ticket.order_id = orders.order_id

)

select * from final
