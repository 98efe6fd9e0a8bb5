with

source as (

    select * from {{ source('integration_log', 'events') }}

),

renamed as (

    select
        source.event_id,
        source.order_id,
        'integration_log' as source_system,
        lower(source.source_system) as from_system,
        lower(source.target_system) as to_system,
        source.endpoint,
        source.http_status,
        source.attempt,
        lower(source.outcome) as outcome,
        (lower(source.outcome) in ('failed', 'dropped')) as is_failed,
        {{ recon.event_metadata_columns('source') }}
    from source

)

select * from renamed
