{#-
    How often each value of each categorical field arrived, per system and day: the input of the
    integration-drift report. A missing value counts as '(null)'.
-#}
{%- set fields_by_system = {
    'oms': ['native_status', 'actor_type', 'currency', 'payment_mode', 'vendor_type', 'region', 'zone',
            'sku_category', 'warehouse_id', 'carrier'],
    'wms': ['native_status', 'actor_type', 'warehouse_id'],
    'carrier': ['native_status', 'actor_type', 'carrier'],
    'crm': ['event_type', 'native_status', 'actor_type'],
    'payments': ['native_status', 'actor_type', 'currency'],
    'erp': ['native_status', 'actor_type', 'currency'],
    'integration_log': ['from_system', 'to_system', 'outcome', 'http_status', 'actor_type'],
} %}

with

{% for system in fields_by_system -%}
{{ system }}_events as (

    select * from {{ ref('stg_' ~ system ~ '__events') }}

),

{% endfor -%}

field_values as (

    {%- for system, fields in fields_by_system.items() %}
    {%- set outer_loop = loop %}
    {%- for field in fields %}
    select
        '{{ system }}' as source_system,
        '{{ field }}' as field_name,
        cast(event_at as date) as metric_date,
        coalesce(cast({{ field }} as {{ dbt.type_string() }}), '(null)') as field_value
    from {{ system }}_events
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}

),

final as (

    select
        source_system,
        field_name,
        metric_date,
        field_value,
        count(*) as events
    from field_values
    group by source_system, field_name, metric_date, field_value

)

select * from final
