-- A divergence resolves after it starts, and only resolved divergences carry resolved_at.
select *
from {{ ref('fct_divergences') }}
where resolved_at < divergence_start
    or (status = 'resolved' and resolved_at is null)
    or (status = 'open' and resolved_at is not null)
