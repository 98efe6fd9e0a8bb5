{#- WMS events: picking, packing, manifesting and RTO receipt at the warehouse. -#}
{{ recon.staged_events(
    'wms',
    keys=['source.order_id'],
    columns=[
        'source.warehouse_id',
        'source.awb as carrier_awb',
    ],
) }}
