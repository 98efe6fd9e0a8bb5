{#-
    R9 orphan_record: a carrier awb, or a payments / erp order_id, that no OMS order has, first seen more
    than `grace` before as_of (start = that first event). The divergence's order_id is the orphan's own
    key as given. Once an OMS order has the key it is no orphan and the divergence leaves the mart (the
    exception sync resolves it). An orphan that is a real order (or awb) in another case or prefix is a
    mapping_error.
-#}
{%- set grace = var('grace_minutes') %}

with

carrier_events as (

    select * from {{ ref('stg_carrier__events') }}

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

orders as (

    select * from {{ ref('int_order_attributes') }}

),

carrier_keys as (

    select
        'carrier' as source_system,
        carrier_awb as orphan_key,
        min(carrier) as carrier,
        min(event_at) as first_seen_at,
        cast(null as {{ dbt.type_numeric() }}) as amount,
        cast(null as {{ dbt.type_string() }}) as currency
    from carrier_events
    where carrier_awb is not null
    group by carrier_awb

),

money_keys as (

    select
        source_system,
        order_id as orphan_key,
        cast(null as {{ dbt.type_string() }}) as carrier,
        min(event_at) as first_seen_at,
        max(amount) as amount,
        min(currency) as currency
    from (
        select source_system, order_id, event_at, amount, currency from payments_events
        union all
        select source_system, order_id, event_at, amount, currency from erp_events
    ) as money_events
    where order_id is not null
    group by source_system, order_id

),

keys as (

    select
        carrier_keys.*,
        exists (
            select 1 from order_awbs
            where upper(trim(order_awbs.carrier_awb)) = upper(trim(carrier_keys.orphan_key))
        ) as matches_after_normalisation
    from carrier_keys
    where not exists (
        select 1 from order_awbs
        where order_awbs.carrier_awb = carrier_keys.orphan_key
    )

    union all

    select
        money_keys.*,
        exists (
            select 1 from orders as normalised
            where normalised.order_id = {{ recon.normalize_order_id('money_keys.orphan_key') }}
        ) as matches_after_normalisation
    from money_keys
    where not exists (
        select 1 from orders
        where orders.order_id = money_keys.orphan_key
    )

),

orphans as (

    select
        keys.*,
        {{ dbt.dateadd('minute', grace, 'first_seen_at') }} as due_at
    from keys

),

final as (

    select
        orphan_key as order_id,
        'R9' as rule_id,
        first_seen_at as divergence_start,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        due_at as detected_at,
        source_system as subject_system,
        {{ dbt.concat(['source_system', "',oms'"]) }} as systems,
        'known_to_oms' as expected_state,
        'orphan' as observed_state,
        amount as exposure_amount,
        currency as exposure_currency,
        carrier as subject_carrier,
        matches_after_normalisation as is_rule_mapping_error,
        false as is_manual_override,
        'the id matches a real order after case/prefix normalisation' as rule_evidence,
        {{ dbt.concat([
            recon.system_label('source_system'),
            "case when source_system = 'carrier' then ' tracks awb ' else ' has order id ' end",
            'orphan_key', "' since '", recon.format_timestamp('first_seen_at'),
            "', unknown to OMS'",
        ]) }} as summary_fact
    from orphans
    where {{ recon.as_of() }} > due_at

)

select * from final
