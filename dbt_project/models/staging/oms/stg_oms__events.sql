with

source as (

    select * from {{ source('oms', 'events') }}

),

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = 'oms'

),

renamed as (

    select
        source.event_id,
        source.order_id,
        'oms' as source_system,
        {{ recon.status_mapping_columns('source.status', 'status_map') }},
        source.amount,
        upper(source.currency) as currency,
        lower(source.payment_mode) as payment_mode,
        source.sku_category,
        source.warehouse_id,
        lower(source.vendor_type) as vendor_type,
        source.region,
        source.zone,
        source.promised_by as promised_delivery_at,
        source.awb as carrier_awb,
        source.carrier,
        {{ recon.event_metadata_columns('source') }}
    from source
    left join status_map
        on source.status = status_map.native_status

)

select * from renamed
