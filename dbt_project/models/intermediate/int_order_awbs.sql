{#- Every awb the OMS gave an order (SHIPPED / REPLACEMENT_CREATED); the newest is the active one. -#}
with

oms_events as (

    select * from {{ ref('stg_oms__events') }}

),

awb_assignments as (

    select
        order_id,
        carrier_awb,
        min(carrier) as carrier,
        min(event_at) as assigned_at
    from oms_events
    where canonical_state in ('shipped', 'replacement_created')
        and carrier_awb is not null
    group by order_id, carrier_awb

),

final as (

    select
        order_id,
        carrier_awb,
        carrier,
        assigned_at,
        row_number() over (
            partition by order_id order by assigned_at desc, carrier_awb desc
        ) = 1 as is_active_awb
    from awb_assignments

)

select * from final
