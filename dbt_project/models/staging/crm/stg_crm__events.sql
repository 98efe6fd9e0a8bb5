{#- Only `status_update` events carry a status; ticket and request events have no canonical state. -#}
with

source as (

    select * from {{ source('crm', 'events') }}

),

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = 'crm'

),

typed as (

    select
        source.*,
        case when source.event_type = 'status_update' then source.status end as update_status
    from source

),

renamed as (

    select
        typed.event_id,
        {{ recon.normalize_order_id('typed.order_ref') }} as order_id,
        typed.order_ref as crm_order_ref,
        'crm' as source_system,
        typed.event_type,
        {{ recon.status_mapping_columns('typed.update_status', 'status_map') }},
        typed.ticket_id as crm_ticket_id,
        {{ recon.event_metadata_columns('typed') }}
    from typed
    left join status_map
        on typed.update_status = status_map.native_status

)

select * from renamed
