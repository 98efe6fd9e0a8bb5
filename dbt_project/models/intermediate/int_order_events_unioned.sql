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

{# Carrier events reach their order through every awb the OMS gave it. #}
carrier_order_events as (

    select
        carrier_events.*,
        order_awbs.order_id,
        order_awbs.is_active_awb
    from carrier_events
    inner join order_awbs
        on carrier_events.carrier_awb = order_awbs.carrier_awb

),

{#- The timeline's columns, each with what a system that does not have it contributes (none: all have it). -#}
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}
{%- set null_amount = "cast(null as " ~ dbt.type_numeric() ~ ")" %}
{%- set timeline_columns = {
    'event_id': none,
    'source_system': none,
    'order_id': none,
    'carrier_awb': null_string,
    'is_active_awb': 'true',
    'event_type': "'status_update'",
    'native_status': none,
    'canonical_state': none,
    'delivery_rank': none,
    'delivery_phase': none,
    'is_unmapped': none,
    'is_ndr': 'false',
    'amount': null_amount,
    'currency': null_string,
    'actor': none,
    'actor_type': none,
    'event_at': none,
    'recorded_at': none,
} %}
{#- Per system, the relation its events come from and the optional columns it has. -#}
{%- set system_events = {
    'oms': ('oms_events', ['carrier_awb', 'amount', 'currency']),
    'wms': ('wms_events', ['carrier_awb']),
    'carrier': ('carrier_order_events', ['carrier_awb', 'is_active_awb', 'is_ndr']),
    'crm': ('crm_events', ['event_type']),
    'payments': ('payments_events', ['amount', 'currency']),
    'erp': ('erp_events', ['amount', 'currency']),
} %}

unioned as (
    {% for system, (relation, own_columns) in system_events.items() %}
    select
        {%- for column, missing in timeline_columns.items() %}
        {{ column if (missing is none or column in own_columns) else missing ~ ' as ' ~ column }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

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
