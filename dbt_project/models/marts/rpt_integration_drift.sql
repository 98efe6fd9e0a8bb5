{#-
    Integration drift (RULES.md "Metrics"): per system, field and day, the population stability index of
    the day's value distribution against the trailing `drift_baseline_days` days (PSI >= `drift_psi_threshold`
    flags drift; no baseline, no PSI), and the system's unmapped-status rate that day.
    PSI = sum over values of (p - q) * ln(p / q), shares floored at 0.0001 so unseen values count.
-#}
{%- set epsilon = 0.0001 %}

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
        on days.source_system = field_values.source_system
        and days.field_name = field_values.field_name
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
        coalesce(field_values.source_system, baseline_values.source_system) as source_system,
        coalesce(field_values.field_name, baseline_values.field_name) as field_name,
        coalesce(field_values.metric_date, baseline_values.metric_date) as metric_date,
        coalesce(field_values.events, 0) as current_events,
        coalesce(baseline_values.events, 0) as baseline_value_events
    from field_values
    full outer join baseline_values
        on field_values.source_system = baseline_values.source_system
        and field_values.field_name = baseline_values.field_name
        and field_values.metric_date = baseline_values.metric_date
        and field_values.field_value = baseline_values.field_value

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
        on value_pairs.source_system = days.source_system
        and value_pairs.field_name = days.field_name
        and value_pairs.metric_date = days.metric_date
    inner join baseline_totals
        on value_pairs.source_system = baseline_totals.source_system
        and value_pairs.field_name = baseline_totals.field_name
        and value_pairs.metric_date = baseline_totals.metric_date

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
        on days.source_system = baseline_totals.source_system
        and days.field_name = baseline_totals.field_name
        and days.metric_date = baseline_totals.metric_date
    left join psi
        on days.source_system = psi.source_system
        and days.field_name = psi.field_name
        and days.metric_date = psi.metric_date
    left join unmapped
        on days.source_system = unmapped.source_system
        and days.metric_date = unmapped.metric_date

)

select * from final
