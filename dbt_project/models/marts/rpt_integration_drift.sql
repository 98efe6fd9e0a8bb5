{#-
    Integration drift (RULES.md "Metrics"): per system, field and day, the population stability index of
    the day's value distribution against the trailing `drift_baseline_days` days (PSI >= `drift_psi_threshold`
    flags drift; no baseline, no PSI), and the system's unmapped-status rate that day.
    PSI = sum over values of (p - q) * ln(p / q), shares floored at 0.0001 so unseen values count.
-#}
{%- set epsilon = 0.0001 %}
{%- set grain = ['source_system', 'field_name', 'metric_date'] %}

with

field_values as (

    select * from {{ ref('int_field_values_daily') }}

),

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

carrier_events as (

    select * from {{ ref('stg_carrier__events') }}

),

days as (

    select
        source_system,
        field_name,
        metric_date,
        sum(events) as events
    from field_values
    group by source_system, field_name, metric_date

),

baseline_values as (

    select
        days.source_system,
        days.field_name,
        days.metric_date,
        field_values.field_value,
        sum(field_values.events) as events
    from days
    inner join field_values
        on {{ recon.join_on('days', 'field_values', ['source_system', 'field_name']) }}
        and field_values.metric_date < days.metric_date
        and field_values.metric_date >= {{ dbt.dateadd('day', -1 * var('drift_baseline_days'), 'days.metric_date') }}
    group by days.source_system, days.field_name, days.metric_date, field_values.field_value

),

baseline_totals as (

    select
        source_system,
        field_name,
        metric_date,
        sum(events) as baseline_events
    from baseline_values
    group by source_system, field_name, metric_date

),

value_pairs as (

    select
        {{ recon.coalesce_columns(['field_values', 'baseline_values'], grain) }},
        coalesce(field_values.events, 0) as current_events,
        coalesce(baseline_values.events, 0) as baseline_value_events
    from field_values
    full outer join baseline_values
        on {{ recon.join_on('field_values', 'baseline_values', grain + ['field_value']) }}

),

psi_terms as (

    select
        value_pairs.source_system,
        value_pairs.field_name,
        value_pairs.metric_date,
        greatest(value_pairs.current_events * 1.0 / days.events, {{ epsilon }}) as current_share,
        greatest(value_pairs.baseline_value_events * 1.0 / baseline_totals.baseline_events, {{ epsilon }})
            as baseline_share
    from value_pairs
    inner join days
        on {{ recon.join_on('value_pairs', 'days', grain) }}
    inner join baseline_totals
        on {{ recon.join_on('value_pairs', 'baseline_totals', grain) }}

),

psi as (

    select
        source_system,
        field_name,
        metric_date,
        sum((current_share - baseline_share) * ln(current_share / baseline_share)) as psi
    from psi_terms
    group by source_system, field_name, metric_date

),

status_events as (

    select source_system, event_at, is_unmapped from timeline
    where native_status is not null and source_system <> 'carrier'
    union all
    -- carrier events of awbs no order has are not on the timeline but count here
    select source_system, event_at, is_unmapped from carrier_events
    where native_status is not null

),

unmapped as (

    select
        source_system,
        cast(event_at as date) as metric_date,
        count(*) as status_events,
        sum(case when is_unmapped then 1 else 0 end) as unmapped_status_events
    from status_events
    group by source_system, cast(event_at as date)

),

final as (

    select
        days.source_system,
        days.field_name,
        days.metric_date,
        days.events,
        coalesce(baseline_totals.baseline_events, 0) as baseline_events,
        psi.psi,
        coalesce(psi.psi >= {{ var('drift_psi_threshold') }}, false) as is_drift,
        coalesce(unmapped.status_events, 0) as status_events,
        coalesce(unmapped.unmapped_status_events, 0) as unmapped_status_events,
        case
            when unmapped.status_events > 0 then unmapped.unmapped_status_events * 1.0 / unmapped.status_events
        end as unmapped_status_rate
    from days
    left join baseline_totals
        on {{ recon.join_on('days', 'baseline_totals', grain) }}
    left join psi
        on {{ recon.join_on('days', 'psi', grain) }}
    left join unmapped
        on {{ recon.join_on('days', 'unmapped', ['source_system', 'metric_date']) }}

)

select * from final
