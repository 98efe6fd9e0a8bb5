{#- Carrier tracking events, keyed by awb (an order reaches them through int_order_awbs). -#}
{{ recon.staged_events(
    'carrier',
    keys=['source.awb as carrier_awb', 'source.carrier'],
    columns=[
        "(source.status = 'NDR') as is_ndr",
        'source.ndr_reason',
        'source.location',
    ],
) }}
