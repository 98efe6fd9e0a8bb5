-- Every divergence is in exactly one cluster, and the cluster counts add up.
-- Reads two models: Dagster shows it as a check on fct_divergence_clusters (dagster-dbt's meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_divergence_clusters'}}}) }}
with

divergences as (

    select * from {{ ref('fct_divergences') }}

),

clusters as (

    select * from {{ ref('fct_divergence_clusters') }}

),

counted as (

    select
        cluster_id,
        count(*) as divergences
    from divergences
    group by cluster_id

)

select
    coalesce(counted.cluster_id, clusters.cluster_id) as cluster_id,
    counted.divergences as counted_divergences,
    clusters.divergences as cluster_divergences
from counted
full outer join clusters
    on counted.cluster_id = clusters.cluster_id
where counted.divergences is distinct from clusters.divergences
