{#- The delivery phase R1 compares: ranks 0-2 are pre_ship, 3-4 in_transit, the rest as named. -#}
{% macro delivery_phase(canonical_state) -%}
    case
        when {{ canonical_state }} in ('placed', 'confirmed', 'packed') then 'pre_ship'
        when {{ canonical_state }} in ('shipped', 'in_transit') then 'in_transit'
        when {{ canonical_state }} in (
            'out_for_delivery', 'delivered', 'rto_initiated', 'rto_delivered', 'cancelled'
        ) then {{ canonical_state }}
    end
{%- endmacro %}

{#-
    The system whose delivery phase is authoritative (RULES.md "Ownership"): the carrier owns physical
    delivery, the OMS the lifecycle (it owns `cancelled`, and everything before the carrier's first scan).
-#}
{% macro delivery_owner_system(oms_phase, carrier_phase) -%}
    case
        when {{ carrier_phase }} is not null and coalesce({{ oms_phase }}, '') <> 'cancelled' then 'carrier'
        when {{ oms_phase }} is not null then 'oms'
    end
{%- endmacro %}

{#-
    Columns every staging model derives from a native status, given the joined mapping row's alias.
    A status with no mapping is `unmapped`, kept and flagged.
-#}
{% macro status_mapping_columns(native_status, mapping) -%}
    {{ native_status }} as native_status,
    case
        when {{ native_status }} is null then null
        else coalesce({{ mapping }}.canonical_state, 'unmapped')
    end as canonical_state,
    {{ mapping }}.delivery_rank,
    {{ recon.delivery_phase(mapping ~ '.canonical_state') }} as delivery_phase,
    ({{ native_status }} is not null and {{ mapping }}.canonical_state is null) as is_unmapped
{%- endmacro %}

{#- The event columns shared by every system's staging model, from the raw table's alias. -#}
{% macro event_metadata_columns(source) -%}
    {{ source }}.event_ts as event_at,
    coalesce({{ source }}.recorded_at, {{ source }}.event_ts) as recorded_at,
    coalesce({{ source }}.actor, 'system') as actor,
    {{ dbt.split_part("coalesce(" ~ source ~ ".actor, 'system')", "':'", 1) }} as actor_type,
    {{ source }}._file_path as file_path,
    {{ source }}._line as file_line,
    {{ source }}._ingested_at as ingested_at
{%- endmacro %}
