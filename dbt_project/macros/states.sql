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
