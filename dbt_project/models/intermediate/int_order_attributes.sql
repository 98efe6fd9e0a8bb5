{#-
    One row per order the OMS knows: the attributes of its CREATED event (amount, currency, dimensions,
    promised delivery), its carrier and active awb, and the lifecycle moments the rules share:
    delivered (the carrier's first delivered on any of its awbs, else the OMS's), cancelled, first RTO.
-#}
with

oms_events as (

    select * from {{ ref('stg_oms__events') }}

),

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

order_awbs as (

    select * from {{ ref('int_order_awbs') }}

),

created_events as (

    {{ recon.deduplicate(
        "(select * from oms_events where canonical_state = 'placed') as created",
        'order_id',
        'event_at, recorded_at, event_id'
    ) }}

),

oms_orders as (

    select
        order_id,
        min(event_at) as first_oms_event_at,
        min(case when canonical_state = 'cancelled' then event_at end) as cancelled_at
    from oms_events
    group by order_id

),

lifecycle as (

    select
        order_id,
        min(case when source_system = 'carrier' and canonical_state = 'delivered' then event_at end)
            as carrier_delivered_at,
        min(case when source_system = 'oms' and canonical_state = 'delivered' then event_at end)
            as oms_delivered_at,
        min(case
            when source_system in ('carrier', 'oms') and canonical_state in ('rto_initiated', 'rto_delivered')
                then event_at
        end) as rto_at
    from timeline
    group by order_id

),

active_awbs as (

    select * from order_awbs
    where is_active_awb

),

final as (

    select
        oms_orders.order_id,
        created_events.event_at as created_at,
        created_events.amount,
        created_events.currency,
        created_events.payment_mode,
        created_events.sku_category,
        created_events.warehouse_id,
        created_events.vendor_type,
        created_events.region,
        created_events.zone,
        created_events.promised_delivery_at,
        active_awbs.carrier,
        active_awbs.carrier_awb as active_carrier_awb,
        oms_orders.first_oms_event_at,
        oms_orders.cancelled_at,
        coalesce(lifecycle.carrier_delivered_at, lifecycle.oms_delivered_at) as delivered_at,
        case
            when lifecycle.carrier_delivered_at is not null then 'carrier'
            when lifecycle.oms_delivered_at is not null then 'oms'
        end as delivered_by_system,
        lifecycle.rto_at
    from oms_orders
    left join created_events
        on oms_orders.order_id = created_events.order_id
    left join active_awbs
        on oms_orders.order_id = active_awbs.order_id
    left join lifecycle
        on oms_orders.order_id = lifecycle.order_id

)

select * from final
