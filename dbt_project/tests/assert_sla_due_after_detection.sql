-- The acknowledgement SLA runs from when the divergence was detected, which is never before it started.
select *
from {{ ref('int_divergences_enriched') }}
where detected_at < divergence_start
    or sla_due_at <= detected_at
