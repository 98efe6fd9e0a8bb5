{#-
    A system's staging model, stg_<system>__events: its raw events (source `<system>.events`) renamed,
    with the status mapped to a canonical state and the event columns every system shares. The model
    names only what is its own; expressions read the raw row as `source`.

      keys                   the ids that tie the event to an order, right after event_id
                             (`source.order_id`, `source.awb as carrier_awb`, ...)
      columns                the system's other columns, after the status mapping
      status                 the native status; none for a system without statuses (integration_log)
      columns_before_status  columns that stand between source_system and the status mapping (crm's
                             event_type)

    Only events that had happened by as_of (event_ts <= as_of) are staged: this is the one cut-off that
    makes every result "what the systems showed as of as_of". Every model downstream (rules,
    classification, queue, resolution, fct_order_state, KPIs, drift) reads events through these models,
    so none of them sees an event after as_of and none needs a cut-off of its own.
-#}
{% macro staged_events(system, keys, columns, status='source.status', columns_before_status=[]) -%}
with

source as (

    select * from {{ source(system, 'events') }}
    where event_ts <= {{ recon.as_of() }}

),
{%- if status %}

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = '{{ system }}'

),
{%- endif %}

renamed as (

    select
        source.event_id,
        {%- for column in keys %}
        {{ column }},
        {%- endfor %}
        '{{ system }}' as source_system,
        {%- for column in columns_before_status %}
        {{ column }},
        {%- endfor %}
        {%- if status %}
        {{ recon.status_mapping_columns(status, 'status_map') }},
        {%- endif %}
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {{ recon.event_metadata_columns('source') }}
    from source
    {%- if status %}
    left join status_map
        on {{ status }} = status_map.native_status
    {%- endif %}

)

select * from renamed
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
