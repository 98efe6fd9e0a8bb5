{#- OMS events: the order lifecycle, with the order's attributes on CREATED and its awb on SHIPPED. -#}
{{ recon.staged_events(
    'oms',
    keys=['source.order_id'],
    columns=[
        'source.amount',
        'upper(source.currency) as currency',
        'lower(source.payment_mode) as payment_mode',
        'source.sku_category',
        'source.warehouse_id',
        'lower(source.vendor_type) as vendor_type',
        'source.region',
        'source.zone',
        'source.promised_by as promised_delivery_at',
        'source.awb as carrier_awb',
        'source.carrier',
    ],
) }}
