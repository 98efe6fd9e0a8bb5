with

source as (

    select * from {{ source('payments', 'events') }}

),

status_map as (

    select * from {{ ref('stg_recon__status_map') }}
    where system = 'payments'

),

renamed as (

    select
        source.event_id,
        source.order_id,
        source.payment_id as payments_payment_id,
        'payments' as source_system,
        {{ recon.status_mapping_columns('source.status', 'status_map') }},
        source.amount,
        upper(source.currency) as currency,
        {{ recon.event_metadata_columns('source') }}
    from source
    left join status_map
        on source.status = status_map.native_status

)

select * from renamed
