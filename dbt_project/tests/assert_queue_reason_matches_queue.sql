-- Informational divergences say why (cancelled, fully_refunded, 3p_vendor_sla); action ones have no reason.
select *
from {{ ref('fct_divergences') }}
where (queue = 'informational' and queue_reason is null)
    or (queue = 'action' and queue_reason is not null)
