-- Results are what the systems showed as of as_of: no divergence starts, is detected or resolves after
-- it, and no order's state was reached after it (events after as_of are not staged).
-- Reads two models: Dagster shows it as a check on fct_order_state (dagster-dbt's meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_order_state'}}}) }}
{%- set as_of = recon.as_of() %}
{%- set systems = recon.order_systems() %}

select
    divergence_id as id,
    'divergence' as kind
from {{ ref('int_divergences_enriched') }}
where divergence_start > {{ as_of }}
    or resolved_at > {{ as_of }}
    or detected_at > {{ as_of }}

union all

select
    order_id as id,
    'order_state' as kind
from {{ ref('fct_order_state') }}
where created_at > {{ as_of }}
    or delivered_at > {{ as_of }}
    or cancelled_at > {{ as_of }}
    {%- for system in systems %}
    or {{ system }}_state_at > {{ as_of }}
    {%- endfor %}
