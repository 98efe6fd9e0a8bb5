-- divergence_id is the hash of (order_id, rule id, divergence_start), so a rerun never duplicates it.
with

divergences as (

    select * from {{ ref('int_divergences_enriched') }}

)

select *
from divergences
where divergence_id <> {{ recon.generate_surrogate_key(['order_id', 'rule_id', 'divergence_start']) }}
