{#- CRM events. Only `status_update` events carry a status; ticket and request events have no canonical state. -#}
{{ recon.staged_events(
    'crm',
    keys=[
        recon.normalize_order_id('source.order_ref') ~ ' as order_id',
        'source.order_ref as crm_order_ref',
    ],
    columns_before_status=['source.event_type'],
    status="case when source.event_type = 'status_update' then source.status end",
    columns=['source.ticket_id as crm_ticket_id'],
) }}
