{#- The divergence mart: exactly the INTERFACES.md columns, in order. One row per (order, rule, start). -#}
with

divergences as (

    select * from {{ ref('int_divergences_enriched') }}

),

final as (

    select
        divergence_id,
        order_id,
        rule,
        classification,
        queue,
        queue_reason,
        status,
        divergence_start,
        resolved_at,
        systems,
        expected_state,
        observed_state,
        owner_team,
        severity,
        sla_due_at,
        exposure_amount,
        currency,
        carrier,
        zone,
        region,
        warehouse_id,
        sku_category,
        payment_mode,
        vendor_type,
        cluster_id,
        summary
    from divergences

)

select * from final
