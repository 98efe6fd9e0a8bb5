{#-
    R2 timeline_sequence_error: in one system's events for one order (carrier: one awb), the earliest
    `delivered` is earlier than the earliest `out_for_delivery` (an NDR counts as out for delivery).
    Start = that delivered moment. A gap that is a whole multiple of 30 min is a time-zone offset written
    as UTC (mapping_error).
-#}
with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

firsts as (

    select
        order_id,
        event_stream,
        source_system,
        min(case when canonical_state = 'delivered' then event_at end) as first_delivered_at,
        min(case when canonical_state = 'out_for_delivery' then event_at end) as first_out_for_delivery_at
    from timeline
    where delivery_phase is not null
    group by order_id, event_stream, source_system

),

inversions as (

    select
        firsts.*,
        {{ recon.minutes_between('first_delivered_at', 'first_out_for_delivery_at') }} as gap_minutes
    from firsts
    where first_delivered_at < first_out_for_delivery_at

),

first_per_start as (

    {{ recon.deduplicate('inversions', 'order_id, first_delivered_at', 'event_stream') }}

),

final as (

    select
        first_per_start.order_id,
        'R2' as rule_id,
        first_per_start.first_delivered_at as divergence_start,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        first_per_start.first_delivered_at as detected_at,
        first_per_start.source_system as subject_system,
        first_per_start.source_system as systems,
        'out_for_delivery' as expected_state,
        'delivered' as observed_state,
        orders.amount as exposure_amount,
        orders.currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        (
            mod(
                cast(round(first_per_start.gap_minutes * 60) as {{ dbt.type_bigint() }}),
                {{ var('tz_offset_step_minutes') * 60 }}
            ) = 0
        ) as is_rule_mapping_error,
        false as is_manual_override,
        {{ dbt.concat([
            "'the gap is a whole multiple of " ~ var('tz_offset_step_minutes') ~ " min, a time-zone offset written as UTC'"
        ]) }} as rule_evidence,
        {{ dbt.concat([
            recon.system_label('first_per_start.source_system'), "' recorded delivered at '",
            recon.format_timestamp('first_per_start.first_delivered_at'), "', '",
            recon.humanize_minutes('first_per_start.gap_minutes'),
            "' before its first out for delivery at '",
            recon.format_timestamp('first_per_start.first_out_for_delivery_at', 'time'),
        ]) }} as summary_fact
    from first_per_start
    left join orders
        on first_per_start.order_id = orders.order_id

)

select * from final
