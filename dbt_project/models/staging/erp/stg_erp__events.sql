{#- ERP finance events: invoices, revenue recognition and reversals, with their amounts. -#}
{{ recon.staged_events(
    'erp',
    keys=['source.order_id', 'source.invoice_id as erp_invoice_id'],
    columns=[
        'source.amount',
        'upper(source.currency) as currency',
    ],
) }}
