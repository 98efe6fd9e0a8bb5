{#-
    The merged cross-system timeline: every oms, wms, carrier, crm, payments and erp event under the
    canonical order_id. Carrier events reach their order through every awb the OMS gave it; carrier
    events of an awb no order has are orphans (R9) and are not part of any order's timeline.
-#}
with

oms_events as (

    select * from {{ ref('stg_oms__events') }}

),

wms_events as (

    select * from {{ ref('stg_wms__events') }}

),

carrier_events as (

    select * from {{ ref('stg_carrier__events') }}

),

crm_events as (

    select * from {{ ref('stg_crm__events') }}

),

payments_events as (

    select * from {{ ref('stg_payments__events') }}

),

erp_events as (

    select * from {{ ref('stg_erp__events') }}

),

order_awbs as (

    select * from {{ ref('int_order_awbs') }}

),

{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}
{%- set null_amount = "cast(null as " ~ dbt.type_numeric() ~ ")" %}

unioned as (

    select
        event_id, source_system, order_id, carrier_awb, true as is_active_awb,
        'status_update' as event_type, native_status, canonical_state, delivery_rank, delivery_phase,
        is_unmapped, false as is_ndr, amount, currency, actor, actor_type, event_at, recorded_at
    from oms_events

    union all

    select
        event_id, source_system, order_id, carrier_awb, true as is_active_awb,
        'status_update' as event_type, native_status, canonical_state, delivery_rank, delivery_phase,
        is_unmapped, false as is_ndr, {{ null_amount }} as amount, {{ null_string }} as currency,
        actor, actor_type, event_at, recorded_at
    from wms_events

    union all

    select
        carrier_events.event_id, carrier_events.source_system, order_awbs.order_id,
        carrier_events.carrier_awb, order_awbs.is_active_awb,
        'status_update' as event_type, carrier_events.native_status, carrier_events.canonical_state,
        carrier_events.delivery_rank, carrier_events.delivery_phase, carrier_events.is_unmapped,
        carrier_events.is_ndr, {{ null_amount }} as amount, {{ null_string }} as currency,
        carrier_events.actor, carrier_events.actor_type, carrier_events.event_at, carrier_events.recorded_at
    from carrier_events
    inner join order_awbs
        on carrier_events.carrier_awb = order_awbs.carrier_awb

    union all

    select
        event_id, source_system, order_id, {{ null_string }} as carrier_awb, true as is_active_awb,
        event_type, native_status, canonical_state, delivery_rank, delivery_phase,
        is_unmapped, false as is_ndr, {{ null_amount }} as amount, {{ null_string }} as currency,
        actor, actor_type, event_at, recorded_at
    from crm_events

    union all

    select
        event_id, source_system, order_id, {{ null_string }} as carrier_awb, true as is_active_awb,
        'status_update' as event_type, native_status, canonical_state, delivery_rank, delivery_phase,
        is_unmapped, false as is_ndr, amount, currency, actor, actor_type, event_at, recorded_at
    from payments_events

    union all

    select
        event_id, source_system, order_id, {{ null_string }} as carrier_awb, true as is_active_awb,
        'status_update' as event_type, native_status, canonical_state, delivery_rank, delivery_phase,
        is_unmapped, false as is_ndr, amount, currency, actor, actor_type, event_at, recorded_at
    from erp_events

),

final as (

    select
        {{ recon.generate_surrogate_key(['source_system', 'event_id', 'carrier_awb']) }} as timeline_event_id,
        unioned.*,
        {#- One system's own sequence of events for the order: the carrier's is per awb. -#}
        case
            when source_system = 'carrier' then {{ dbt.concat(["'carrier:'", 'carrier_awb']) }}
            else source_system
        end as event_stream
    from unioned

)

select * from final
