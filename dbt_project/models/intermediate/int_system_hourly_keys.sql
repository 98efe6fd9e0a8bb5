{#-
    The keys (order ids; awbs for the carrier) each system saw in each hour: the population R8 and R9
    measure their affected share against.
-#}
with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

carrier_events as (

    select * from {{ ref('stg_carrier__events') }}

),

keys as (

    select
        source_system,
        order_id as key_id,
        event_at
    from timeline
    where source_system <> 'carrier'

    union all

    select
        source_system,
        carrier_awb as key_id,
        event_at
    from carrier_events

),

final as (

    select distinct
        source_system,
        {{ dbt.date_trunc('hour', 'event_at') }} as hour_start,
        key_id
    from keys
    where key_id is not null

)

select * from final
