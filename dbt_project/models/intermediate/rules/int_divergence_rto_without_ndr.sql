{#-
    R3 rto_without_ndr: the OMS or the carrier shows `rto_initiated` at T (the earliest of the two) and
    the carrier logged no NDR for any of the order's awbs at or before T. Start = T.
-#}
with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

rto_events as (

    select * from timeline
    where canonical_state = 'rto_initiated'
        and source_system in ('oms', 'carrier')

),

first_rto as (

    {{ recon.deduplicate('rto_events', 'order_id', 'event_at, source_system, event_id') }}

),

ndr_events as (

    select * from timeline
    where is_ndr

),

without_ndr as (

    select first_rto.*
    from first_rto
    where not {{ recon.has_order_event_by('ndr_events', 'first_rto.order_id', 'first_rto.event_at') }}

),

final as (

    select
        without_ndr.order_id,
        'R3' as rule_id,
        without_ndr.event_at as divergence_start,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        without_ndr.event_at as detected_at,
        without_ndr.source_system as subject_system,
        'oms,carrier' as systems,
        'ndr' as expected_state,
        'rto_initiated' as observed_state,
        orders.amount as exposure_amount,
        orders.currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        {{ recon.no_rule_evidence() }},
        {{ dbt.concat([
            recon.system_label('without_ndr.source_system'), "' initiated RTO at '",
            recon.format_timestamp('without_ndr.event_at'),
            "' with no carrier NDR logged before it'",
        ]) }} as summary_fact
    from without_ndr
    left join orders
        on without_ndr.order_id = orders.order_id

)

select * from final
