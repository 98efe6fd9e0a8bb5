with

source as (

    select * from {{ source('wms', 'events') }}

),

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = 'wms'

),

renamed as (

    select
        source.event_id,
        source.order_id,
        'wms' as source_system,
        {{ recon.status_mapping_columns('source.status', 'status_map') }},
        source.warehouse_id,
        source.awb as carrier_awb,
        {{ recon.event_metadata_columns('source') }}
    from source
    left join status_map
        on source.status = status_map.native_status

)

select * from renamed
