{#- The systems whose events belong to an order (everything but integration_log), in timeline order. -#}
{% macro order_systems() -%}
    {{ return(['oms', 'wms', 'carrier', 'crm', 'payments', 'erp']) }}
{%- endmacro %}

{#- A system name as people write it in a sentence. -#}
{% macro system_label(system) -%}
    case {{ system }}
        when 'oms' then 'OMS'
        when 'wms' then 'WMS'
        when 'crm' then 'CRM'
        when 'erp' then 'ERP'
        when 'carrier' then 'Carrier'
        when 'payments' then 'Payments'
        else {{ system }}
    end
{%- endmacro %}
