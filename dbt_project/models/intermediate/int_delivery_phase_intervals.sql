{#-
    Per order and system (oms, carrier, crm): each delivery phase and the interval it held, from its event
    until the system's next delivery event. The carrier's phase at a moment is that of the awb active then
    (the newest the OMS had assigned by that moment): each awb's intervals are clipped to the time it was
    active. Events at the same instant are ordered by recorded_at then event_id; the last one holds.
-#}
with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

order_awbs as (

    select * from {{ ref('int_order_awbs') }}

),

delivery_events as (

    select *
    from timeline
    where delivery_phase is not null
        and source_system in ('oms', 'carrier', 'crm')

),

stream_intervals as (

    select
        order_id,
        source_system,
        carrier_awb,
        event_id,
        native_status,
        canonical_state,
        delivery_phase,
        actor,
        actor_type,
        event_at as valid_from,
        lead(event_at) over (
            partition by order_id, event_stream order by event_at, recorded_at, event_id
        ) as valid_to
    from delivery_events

),

awb_activity as (

    select
        order_id,
        carrier_awb,
        assigned_at as active_from,
        lead(assigned_at) over (partition by order_id order by assigned_at, carrier_awb) as active_to
    from order_awbs

),

carrier_intervals as (

    select
        stream_intervals.order_id,
        stream_intervals.source_system,
        stream_intervals.event_id,
        stream_intervals.native_status,
        stream_intervals.canonical_state,
        stream_intervals.delivery_phase,
        stream_intervals.actor,
        stream_intervals.actor_type,
        case
            when stream_intervals.valid_from < awb_activity.active_from then awb_activity.active_from
            else stream_intervals.valid_from
        end as valid_from,
        case
            when awb_activity.active_to is null then stream_intervals.valid_to
            when stream_intervals.valid_to is null or stream_intervals.valid_to > awb_activity.active_to
                then awb_activity.active_to
            else stream_intervals.valid_to
        end as valid_to
    from stream_intervals
    inner join awb_activity
        on stream_intervals.order_id = awb_activity.order_id
        and stream_intervals.carrier_awb = awb_activity.carrier_awb
    where stream_intervals.source_system = 'carrier'
        and (stream_intervals.valid_to is null or stream_intervals.valid_to > awb_activity.active_from)
        and (awb_activity.active_to is null or stream_intervals.valid_from < awb_activity.active_to)

),

final as (

    select
        order_id, source_system, event_id, native_status, canonical_state, delivery_phase, actor, actor_type,
        valid_from, valid_to
    from stream_intervals
    where source_system <> 'carrier'

    union all

    select * from carrier_intervals

)

select * from final
