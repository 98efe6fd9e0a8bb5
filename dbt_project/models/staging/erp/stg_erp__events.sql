with

source as (

    select * from {{ source('erp', 'events') }}

),

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = 'erp'

),

renamed as (

    select
        source.event_id,
        source.order_id,
        source.invoice_id as erp_invoice_id,
        'erp' as source_system,
        {{ recon.status_mapping_columns('source.status', 'status_map') }},
        source.amount,
        upper(source.currency) as currency,
        {{ recon.event_metadata_columns('source') }}
    from source
    left join status_map
        on source.status = status_map.native_status

)

select * from renamed
