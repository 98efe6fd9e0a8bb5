{#- Every API call and webhook delivery between systems; no status to map, an outcome instead. -#}
{{ recon.staged_events(
    'integration_log',
    keys=['source.order_id'],
    status=none,
    columns=[
        'lower(source.source_system) as from_system',
        'lower(source.target_system) as to_system',
        'source.endpoint',
        'source.http_status',
        'source.attempt',
        'lower(source.outcome) as outcome',
        "(lower(source.outcome) in ('failed', 'dropped')) as is_failed",
    ],
) }}
