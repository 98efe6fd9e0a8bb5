with

source as (

    select * from {{ source('carrier', 'events') }}

),

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = 'carrier'

),

renamed as (

    select
        source.event_id,
        source.awb as carrier_awb,
        source.carrier,
        'carrier' as source_system,
        {{ recon.status_mapping_columns('source.status', 'status_map') }},
        (source.status = 'NDR') as is_ndr,
        source.ndr_reason,
        source.location,
        {{ recon.event_metadata_columns('source') }}
    from source
    left join status_map
        on source.status = status_map.native_status

)

select * from renamed
