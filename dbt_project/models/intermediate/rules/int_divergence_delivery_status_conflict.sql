{#-
    R1 delivery_status_conflict: the latest delivery phases of oms, carrier (active awb) and crm differ,
    continuously for longer than `grace`. One divergence per disagreement episode: it starts at the first
    change point where they differ and resolves at the next point where they all agree.
-#}
with

points as (

    select * from {{ ref('int_delivery_agreement_points') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

episode_starts as (

    {{ recon.deduplicate(
        '(select * from points where is_diverged) as diverged_points',
        'order_id, next_agreed_at',
        'point_at'
    ) }}

),

episodes as (

    select
        episode_starts.*,
        point_at as divergence_start,
        next_agreed_at as resolved_at,
        {{ recon.effective_end('next_agreed_at') }} as effective_end_at,
        next_agreed_at is not null as is_resolved,
        {#- The diverging system's phase, and who set it when (for the manual-override test). -#}
        {%- for field in ['phase', 'actor_type', 'phase_at'] %}
        case diverging_system
            {%- for system in ['oms', 'crm', 'carrier'] %}
            when '{{ system }}' then {{ system }}_{{ field }}
            {%- endfor %}
        end as observed_{{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from episode_starts

),

lasting as (

    select *
    from episodes
    where effective_end_at > {{ dbt.dateadd('minute', var('grace_minutes'), 'divergence_start') }}

),

final as (

    select
        lasting.order_id,
        'R1' as rule_id,
        lasting.divergence_start,
        lasting.resolved_at,
        {{ dbt.dateadd('minute', var('grace_minutes'), 'lasting.divergence_start') }} as detected_at,
        lasting.diverging_system as subject_system,
        {{ recon.concat_ws("','", [
            "case when lasting.oms_phase is not null and (lasting.owner_system = 'oms' or lasting.oms_phase <> lasting.owner_phase) then 'oms' end",
            "case when lasting.carrier_phase is not null and (lasting.owner_system = 'carrier' or lasting.carrier_phase <> lasting.owner_phase) then 'carrier' end",
            "case when lasting.crm_phase is not null and lasting.crm_phase <> lasting.owner_phase then 'crm' end",
        ]) }} as systems,
        lasting.owner_phase as expected_state,
        lasting.observed_phase as observed_state,
        orders.amount as exposure_amount,
        orders.currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        false as is_rule_mapping_error,
        {{ recon.is_agent_change_without_api(
            'lasting.observed_actor_type', 'lasting.order_id', 'lasting.diverging_system', 'lasting.observed_phase_at'
        ) }} as is_manual_override,
        case
            when lasting.observed_actor_type = 'agent'
                then {{ dbt.concat([
                    "'a support agent set '", recon.system_label('lasting.diverging_system'),
                    "' to '''", recon.state_label('lasting.observed_phase'), "''' with no API update near it'"
                ]) }}
        end as rule_evidence,
        case
            when lasting.is_resolved then {{ dbt.concat([
                recon.system_label('lasting.owner_system'), "' showed '", recon.state_label('lasting.owner_phase'),
                "' at '", recon.format_timestamp('lasting.divergence_start'), "' while '",
                recon.system_label('lasting.diverging_system'), "' showed '", recon.state_label('lasting.observed_phase'),
                "' until they agreed at '", recon.format_timestamp('lasting.resolved_at', 'time'),
            ]) }}
            else {{ dbt.concat([
                recon.system_label('lasting.owner_system'), "' shows '", recon.state_label('lasting.owner_phase'),
                "' since '", recon.format_timestamp('lasting.divergence_start'), "'; '",
                recon.system_label('lasting.diverging_system'), "' still shows '",
                recon.state_label('lasting.observed_phase'), "' '",
                recon.humanize_minutes(recon.minutes_between('lasting.divergence_start', 'lasting.effective_end_at')),
                "' later'",
            ]) }}
        end as summary_fact
    from lasting
    left join orders
        on lasting.order_id = orders.order_id

)

select * from final
