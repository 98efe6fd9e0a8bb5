{#-
    The population of each R8 / R9 severity bucket (RULES.md: "high when the share of affected orders in
    their bucket exceeds 5 %"): per rule, subject system and hour, the keys that could have been affected
    with a start in that hour.
      R8, crm   the OMS orders created in that hour (R8's start for a missing CRM is the order's creation)
      R8, erp   the OMS orders delivered in that hour (R8's start for a missing ERP is the delivery)
      R9        the keys the orphan's system saw in that hour (carrier awbs; payments / erp order ids as
                given), known to the OMS or not
    Events after as_of are not staged, so neither are their orders or keys.
-#}
with

orders as (

    select * from {{ ref('int_order_attributes') }}

),

carrier_events as (

    select * from {{ ref('stg_carrier__events') }}

),

payments_events as (

    select * from {{ ref('stg_payments__events') }}

),

erp_events as (

    select * from {{ ref('stg_erp__events') }}

),

keys as (

    select
        'R8' as rule_id,
        'crm' as source_system,
        created_at as started_at,
        order_id as key_id
    from orders
    where created_at is not null

    union all

    select
        'R8' as rule_id,
        'erp' as source_system,
        delivered_at as started_at,
        order_id as key_id
    from orders
    where delivered_at is not null

    union all

    select
        'R9' as rule_id,
        source_system,
        event_at as started_at,
        carrier_awb as key_id
    from carrier_events

    union all

    select
        'R9' as rule_id,
        source_system,
        event_at as started_at,
        order_id as key_id
    from payments_events

    union all

    select
        'R9' as rule_id,
        source_system,
        event_at as started_at,
        order_id as key_id
    from erp_events

),

final as (

    select distinct
        rule_id,
        source_system,
        {{ dbt.date_trunc('hour', 'started_at') }} as hour_start,
        key_id
    from keys
    where key_id is not null

)

select * from final
