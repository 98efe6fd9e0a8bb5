{#-
    One row per cluster (RULES.md "Clusters"): divergences of one rule and classification with the same
    dimensions whose start falls in the same time bucket. Slack gets one message per new cluster.
-#}
with

divergences as (

    select * from {{ ref('int_divergences_enriched') }}

),

final as (

    select
        cluster_id,
        rule,
        classification,
        min(owner_team) as owner_team,
        cluster_carrier as carrier,
        cluster_zone as zone,
        cluster_payment_mode as payment_mode,
        cluster_system as system,
        cluster_grain as bucket_grain,
        bucket_start,
        count(*) as divergences,
        count(distinct order_id) as orders,
        sum(case when status = 'open' then 1 else 0 end) as open_divergences,
        sum(case when queue = 'action' then 1 else 0 end) as action_divergences,
        sum(case when queue = 'informational' then 1 else 0 end) as informational_divergences,
        sum(coalesce(exposure_amount, 0)) as exposure_amount,
        case
            when count(distinct currency) = 1 then min(currency)
            when count(distinct currency) > 1 then 'MIXED'
        end as currency,
        case
            when sum(case when severity = 'high' then 1 else 0 end) > 0 then 'high'
            when sum(case when severity = 'medium' then 1 else 0 end) > 0 then 'medium'
            else 'low'
        end as max_severity,
        min(divergence_start) as first_seen_at,
        max(divergence_start) as last_seen_at
    from divergences
    group by
        cluster_id, rule, classification, cluster_carrier, cluster_zone, cluster_payment_mode, cluster_system,
        cluster_grain, bucket_start

)

select * from final
