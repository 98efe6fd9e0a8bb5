{#-
    R7 status_reversal: one system's delivery rank for an order (carrier: per awb) goes down two or more
    times within 24 h. A move into or out of an unranked state (rto, cancelled) is not a reversal (its
    rank comparison is null). RULES.md's other exception, NDR -> OFD re-attempts, needs no code: NDR and
    OFD both have rank 5 (out_for_delivery), so that move never goes down. A move down after an NDR to a
    lower rank (NDR -> IN_TRANSIT) is not a re-attempt in RULES.md's words and counts. Start = the first
    backward move of the earliest such 24 h window; one divergence per order.
-#}
with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

sequenced as (

    select
        timeline.*,
        lag(delivery_rank) over (
            partition by order_id, event_stream order by event_at, recorded_at, event_id
        ) as previous_rank,
        lag(canonical_state) over (
            partition by order_id, event_stream order by event_at, recorded_at, event_id
        ) as previous_state
    from timeline
    where delivery_phase is not null

),

backward_moves as (

    select * from sequenced
    where delivery_rank < previous_rank

),

windows as (

    select
        first_move.order_id,
        first_move.event_stream,
        first_move.source_system,
        first_move.event_id,
        first_move.event_at,
        first_move.actor,
        first_move.actor_type,
        first_move.previous_state,
        first_move.canonical_state,
        count(*) as backward_moves_in_window
    from backward_moves as first_move
    inner join backward_moves as later_move
        on first_move.order_id = later_move.order_id
        and first_move.event_stream = later_move.event_stream
        and later_move.event_at >= first_move.event_at
        and later_move.event_at <= {{ dbt.dateadd('hour', 24, 'first_move.event_at') }}
    group by
        first_move.order_id, first_move.event_stream, first_move.source_system, first_move.event_id,
        first_move.event_at, first_move.actor, first_move.actor_type, first_move.previous_state,
        first_move.canonical_state
    having count(*) >= 2

),

first_window as (

    {{ recon.deduplicate('windows', 'order_id', 'event_at, event_stream, event_id') }}

),

final as (

    select
        first_window.order_id,
        'R7' as rule_id,
        first_window.event_at as divergence_start,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        first_window.event_at as detected_at,
        first_window.source_system as subject_system,
        first_window.source_system as systems,
        first_window.previous_state as expected_state,
        first_window.canonical_state as observed_state,
        orders.amount as exposure_amount,
        orders.currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        false as is_rule_mapping_error,
        {{ recon.is_agent_change_without_api(
            'first_window.actor_type', 'first_window.order_id', 'first_window.source_system', 'first_window.event_at'
        ) }} as is_manual_override,
        {{ dbt.concat(["'the move back was made by '", 'first_window.actor', "' with no API update near it'"]) }}
            as rule_evidence,
        {{ dbt.concat([
            recon.system_label('first_window.source_system'), "' moved back from '",
            recon.state_label('first_window.previous_state'), "' to '", recon.state_label('first_window.canonical_state'),
            "' at '", recon.format_timestamp('first_window.event_at'), "', '",
            'cast(first_window.backward_moves_in_window as ' ~ dbt.type_string() ~ ')',
            "' backward moves within 24 h'",
        ]) }} as summary_fact
    from first_window
    left join orders
        on first_window.order_id = orders.order_id

)

select * from final
