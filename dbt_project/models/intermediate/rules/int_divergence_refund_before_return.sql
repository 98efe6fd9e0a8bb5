{#-
    R5 refund_before_return: a payments refund_initiated / refunded at T while, as of T, the order is not
    cancelled and no system shows rto_delivered (crm `Returned` maps to it). One divergence per order,
    from its first such refund; resolved when the order is later cancelled or returned.
-#}

with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

refunds as (

    select * from timeline
    where source_system = 'payments'
        and canonical_state in ('refund_initiated', 'refunded')

),

closures as (

    select * from timeline
    where canonical_state = 'rto_delivered'
        or (source_system = 'oms' and canonical_state = 'cancelled')

),

premature_refunds as (

    select refunds.*
    from refunds
    inner join orders
        on refunds.order_id = orders.order_id
    where not {{ recon.has_order_event_by('closures', 'refunds.order_id', 'refunds.event_at') }}

),

first_premature_refund as (

    {{ recon.deduplicate('premature_refunds', 'order_id', 'event_at, event_id') }}

),

agent_requests as (

    select * from timeline
    where source_system = 'crm'
        and event_type = 'refund_requested'
        and actor_type = 'agent'

),

judged as (

    select
        first_premature_refund.*,
        {{ recon.first_order_event_after(
            'closures', 'first_premature_refund.order_id', 'first_premature_refund.event_at'
        ) }} as closed_after_at,
        first_premature_refund.actor_type = 'agent' as is_agent_refund,
        {{ recon.has_order_event_by(
            'agent_requests', 'first_premature_refund.order_id', 'first_premature_refund.event_at',
            since=dbt.dateadd('hour', -24, 'first_premature_refund.event_at'),
        ) }} as follows_agent_request
    from first_premature_refund

),

final as (

    select
        order_id,
        'R5' as rule_id,
        event_at as divergence_start,
        closed_after_at as resolved_at,
        event_at as detected_at,
        'payments' as subject_system,
        'payments,oms' as systems,
        'rto_delivered' as expected_state,
        canonical_state as observed_state,
        amount as exposure_amount,
        currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        false as is_rule_mapping_error,
        (is_agent_refund or follows_agent_request) as is_manual_override,
        case
            when is_agent_refund then {{ dbt.concat(["'the refund was made by '", 'actor']) }}
            when follows_agent_request then 'a support agent requested the refund in the 24 h before it'
        end as rule_evidence,
        {{ dbt.concat([
            "'Payments '", "case when canonical_state = 'refunded' then 'refunded ' else 'initiated a refund of ' end",
            'currency', "' '", recon.format_amount('amount'), "' at '", recon.format_timestamp('event_at'),
            "' while the order was neither cancelled nor returned'",
        ]) }} as summary_fact
    from judged

)

select * from final
