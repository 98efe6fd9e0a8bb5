{#- Payment gateway events: captures, refunds and chargebacks, with their amounts. -#}
{{ recon.staged_events(
    'payments',
    keys=['source.order_id', 'source.payment_id as payments_payment_id'],
    columns=[
        'source.amount',
        'upper(source.currency) as currency',
    ],
) }}
