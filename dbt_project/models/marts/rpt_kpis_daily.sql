{#-
    RULES.md "Metrics" per day and dimension. A day is the order's created day (its cohort); an orphan
    (R9), which has no order, counts on the day it started. dimension is `all`, `carrier`, `warehouse`,
    `payment_mode`, `region` (order attributes) or `system` (the divergence's diverging system, measured
    against all of the day's orders).
-#}
{%- set order_dimensions = {
    'all': "'all'",
    'carrier': 'carrier',
    'warehouse': 'warehouse_id',
    'payment_mode': 'payment_mode',
    'region': 'region',
} %}
{%- set grain = ['kpi_date', 'dimension', 'dimension_value'] %}

with

orders as (

    select * from {{ ref('fct_order_state') }}

),

divergences as (

    select * from {{ ref('int_divergences_enriched') }}

),

agreement_points as (

    select * from {{ ref('int_delivery_agreement_points') }}

),

order_days as (

    select
        orders.*,
        cast(orders.created_at as date) as kpi_date
    from orders
    where orders.created_at is not null

),

order_lags as (

    select
        order_id,
        avg(
            {{ recon.minutes_between(
                'point_at',
                'case when is_diverged then coalesce(next_agreed_at, ' ~ recon.as_of() ~ ') else point_at end'
            ) }}
        ) / 60.0 as reconciliation_lag_hours
    from agreement_points
    group by order_id

),

order_dimension_rows as (

    {%- for dimension, expression in order_dimensions.items() %}
    select
        order_days.order_id,
        order_days.kpi_date,
        '{{ dimension }}' as dimension,
        coalesce(cast({{ expression }} as {{ dbt.type_string() }}), 'unknown') as dimension_value,
        order_days.is_crm_aligned_with_oms,
        (order_days.oms_delivery_phase is not null and order_days.crm_delivery_phase is not null) as has_crm_and_oms,
        order_lags.reconciliation_lag_hours
    from order_days
    left join order_lags
        on order_days.order_id = order_lags.order_id
    union all
    {%- endfor %}
    {%- for system in recon.order_systems() %}
    select
        order_days.order_id,
        order_days.kpi_date,
        'system' as dimension,
        '{{ system }}' as dimension_value,
        cast(null as boolean) as is_crm_aligned_with_oms,
        false as has_crm_and_oms,
        cast(null as {{ dbt.type_float() }}) as reconciliation_lag_hours
    from order_days
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

divergence_days as (

    select
        divergences.*,
        coalesce(cast(order_days.created_at as date), cast(divergences.divergence_start as date)) as kpi_date,
        order_days.order_id is not null as is_oms_order
    from divergences
    left join order_days
        on divergences.order_id = order_days.order_id

),

divergence_dimension_rows as (

    {%- for dimension, expression in order_dimensions.items() %}
    select
        divergence_days.*,
        '{{ dimension }}' as dimension,
        coalesce(cast({{ expression }} as {{ dbt.type_string() }}), 'unknown')
            as dimension_value
    from divergence_days
    union all
    {%- endfor %}
    select
        divergence_days.*,
        'system' as dimension,
        coalesce(subject_system, 'unknown') as dimension_value
    from divergence_days

),

cluster_signatures as (

    select distinct
        kpi_date,
        dimension,
        dimension_value,
        {{ recon.generate_surrogate_key([
            'rule_id', 'classification', 'cluster_carrier', 'cluster_zone', 'cluster_payment_mode', 'cluster_system'
        ]) }} as signature
    from divergence_dimension_rows

),

recurring_clusters as (

    select
        today.kpi_date,
        today.dimension,
        today.dimension_value,
        count(distinct today.signature) as recurring_clusters
    from cluster_signatures as today
    where exists (
        select 1
        from cluster_signatures as previous_week
        where previous_week.signature = today.signature
            and previous_week.dimension = today.dimension
            and previous_week.dimension_value = today.dimension_value
            and previous_week.kpi_date < today.kpi_date
            and previous_week.kpi_date >= {{ dbt.dateadd('day', -7, 'today.kpi_date') }}
    )
    group by today.kpi_date, today.dimension, today.dimension_value

),

order_metrics as (

    select
        kpi_date,
        dimension,
        dimension_value,
        count(distinct order_id) as orders,
        avg(reconciliation_lag_hours) as reconciliation_lag_hours,
        sum(case when is_crm_aligned_with_oms then 1 else 0 end) as crm_oms_aligned_orders,
        sum(case when has_crm_and_oms then 1 else 0 end) as crm_oms_compared_orders
    from order_dimension_rows
    group by kpi_date, dimension, dimension_value

),

divergence_metrics as (

    select
        kpi_date,
        dimension,
        dimension_value,
        count(*) as divergences,
        sum(case when queue = 'action' then 1 else 0 end) as action_divergences,
        count(distinct case when queue = 'action' and is_oms_order then order_id end)
            as orders_with_action_divergence,
        sum(case when classification = 'manual_override' then 1 else 0 end) as manual_override_divergences,
        avg(case
            when resolved_at is not null then {{ recon.minutes_between('divergence_start', 'resolved_at') }} / 60.0
        end) as mean_time_to_resolution_hours,
        sum(case when status = 'open' and queue = 'action' then coalesce(exposure_amount, 0) else 0 end)
            as open_exposure_amount
    from divergence_dimension_rows
    group by kpi_date, dimension, dimension_value

),

metrics as (

    select
        {{ recon.coalesce_columns(['order_metrics', 'divergence_metrics'], grain) }},
        order_metrics.orders,
        order_metrics.reconciliation_lag_hours,
        order_metrics.crm_oms_aligned_orders,
        order_metrics.crm_oms_compared_orders,
        divergence_metrics.divergences,
        divergence_metrics.action_divergences,
        divergence_metrics.orders_with_action_divergence,
        divergence_metrics.manual_override_divergences,
        divergence_metrics.mean_time_to_resolution_hours,
        divergence_metrics.open_exposure_amount
    from order_metrics
    full outer join divergence_metrics
        on {{ recon.join_on('order_metrics', 'divergence_metrics', grain) }}

),

final as (

    select
        metrics.kpi_date,
        metrics.dimension,
        metrics.dimension_value,
        coalesce(metrics.orders, 0) as orders,
        coalesce(metrics.divergences, 0) as divergences,
        coalesce(metrics.action_divergences, 0) as action_divergences,
        coalesce(metrics.orders_with_action_divergence, 0) as orders_with_action_divergence,
        case
            when metrics.orders > 0
                then 1.0 - coalesce(metrics.orders_with_action_divergence, 0) * 1.0 / metrics.orders
        end as match_rate,
        case
            when metrics.orders > 0
                then coalesce(metrics.action_divergences, 0) * 1000.0 / metrics.orders
        end as exceptions_per_1000_orders,
        metrics.mean_time_to_resolution_hours,
        metrics.reconciliation_lag_hours,
        case
            when metrics.crm_oms_compared_orders > 0
                then metrics.crm_oms_aligned_orders * 1.0 / metrics.crm_oms_compared_orders
        end as crm_oms_alignment_rate,
        case
            when metrics.divergences > 0
                then metrics.manual_override_divergences * 1.0 / metrics.divergences
        end as manual_override_share,
        coalesce(recurring_clusters.recurring_clusters, 0) as recurring_clusters,
        coalesce(metrics.open_exposure_amount, 0) as open_exposure_amount
    from metrics
    left join recurring_clusters
        on {{ recon.join_on('metrics', 'recurring_clusters', grain) }}

)

select * from final
