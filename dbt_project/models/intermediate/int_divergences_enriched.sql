{#-
    Every divergence with its id, status at as_of, classification (RULES.md order, first match wins),
    queue, owner, severity, SLA, dimensions, cluster and plain-language summary. fct_divergences shows
    the INTERFACES.md columns of it; fct_divergence_clusters groups it.
-#}
{%- set as_of = recon.as_of() %}
{%- set window = var('window_minutes') %}

with

divergences as (

    select * from {{ ref('int_divergences_unioned') }}

),

rules as (

    select * from {{ ref('divergence_rules') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

order_money as (

    select * from {{ ref('int_order_money') }}

),

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

failed_calls as (

    select * from {{ ref('stg_integration_log__events') }}
    where is_failed

),

integrity_population as (

    select * from {{ ref('int_integrity_bucket_keys') }}

),

keyed as (

    select
        divergences.*,
        rules.rule,
        rules.owner_team as rule_owner_team,
        rules.rule_family,
        rules.cluster_grain,
        rules.late_resolution_is_sync_delay,
        rules.closed_order_is_informational,
        rules.vendor_sla_is_informational,
        {#- Resolved more than grace after the start, for a rule where that means sync delay. #}
        coalesce(
            rules.late_resolution_is_sync_delay
            and divergences.resolved_at > {{ dbt.dateadd('minute', var('grace_minutes'), 'divergences.divergence_start') }},
            false
        ) as is_late_resolution
    from divergences
    inner join rules
        on divergences.rule_id = rules.rule_id

),

unmapped_matches as (

    select
        keyed.divergence_id,
        timeline.source_system,
        timeline.native_status,
        timeline.event_at
    from keyed
    inner join timeline
        on keyed.order_id = timeline.order_id
        and timeline.is_unmapped
        and {{ dbt.concat(["','", 'keyed.systems', "','"]) }}
            like {{ dbt.concat(["'%,'", 'timeline.source_system', "',%'"]) }}
        {#- RULES.md's window is [start - window, as_of]: the timeline has no event after as_of. #}
        and timeline.event_at >= {{ dbt.dateadd('minute', -1 * window, 'keyed.divergence_start') }}

),

unmapped_evidence as (

    {{ recon.deduplicate('unmapped_matches', 'divergence_id', 'event_at, source_system, native_status') }}

),

{#- Failed calls for the order, or batch calls (no order id) to the divergence's lagging system. -#}
failed_call_matches as (

    {%- for match in ['order', 'batch'] %}
    select
        keyed.divergence_id,
        failed_calls.from_system,
        failed_calls.to_system,
        failed_calls.outcome,
        failed_calls.event_at
    from keyed
    inner join failed_calls
        {%- if match == 'order' %}
        on failed_calls.order_id = keyed.order_id
        {%- else %}
        on failed_calls.to_system = keyed.subject_system
        and failed_calls.order_id is null
        {%- endif %}
        and failed_calls.event_at >= {{ dbt.dateadd('minute', -1 * window, 'keyed.divergence_start') }}
        and failed_calls.event_at <= {{ dbt.dateadd('minute', window, 'keyed.divergence_start') }}
    {% if loop.first %}union all{% endif %}
    {%- endfor %}

),

failed_call_evidence as (

    {{ recon.deduplicate('failed_call_matches', 'divergence_id', 'event_at, from_system, to_system') }}

),

classified as (

    select
        keyed.*,
        case
            when unmapped_evidence.divergence_id is not null or keyed.is_rule_mapping_error
                then 'mapping_error'
            when keyed.is_manual_override
                then 'manual_override'
            when failed_call_evidence.divergence_id is not null or keyed.is_late_resolution
                then 'sync_delay'
            else 'unknown'
        end as classification,
        case
            when unmapped_evidence.divergence_id is not null
                then {{ dbt.concat([
                    recon.system_label('unmapped_evidence.source_system'), "' sent unmapped status '''",
                    'unmapped_evidence.native_status', "''' at '",
                    recon.format_timestamp('unmapped_evidence.event_at', 'time'),
                ]) }}
            when keyed.is_rule_mapping_error or keyed.is_manual_override
                then keyed.rule_evidence
            when failed_call_evidence.divergence_id is not null
                then {{ dbt.concat([
                    "'the '", 'failed_call_evidence.from_system', "'→'", 'failed_call_evidence.to_system',
                    "' call '", 'failed_call_evidence.outcome', "' at '",
                    recon.format_timestamp('failed_call_evidence.event_at', 'time'),
                ]) }}
            when keyed.is_late_resolution
                then {{ dbt.concat([
                    "'resolved by itself after '",
                    recon.humanize_minutes(recon.minutes_between('keyed.divergence_start', 'keyed.resolved_at')),
                ]) }}
        end as classification_evidence
    from keyed
    left join unmapped_evidence
        on keyed.divergence_id = unmapped_evidence.divergence_id
    left join failed_call_evidence
        on keyed.divergence_id = failed_call_evidence.divergence_id

),

with_order as (

    select
        classified.*,
        coalesce(orders.carrier, classified.subject_carrier) as carrier,
        orders.zone,
        orders.region,
        orders.warehouse_id,
        orders.sku_category,
        orders.payment_mode,
        orders.vendor_type,
        orders.cancelled_at,
        orders.promised_delivery_at,
        coalesce(order_money.is_fully_refunded, false) as is_fully_refunded,
        case classified.cluster_grain
            when 'hour' then {{ dbt.date_trunc('hour', 'classified.divergence_start') }}
            else {{ dbt.date_trunc('day', 'classified.divergence_start') }}
        end as bucket_start
    from classified
    left join orders
        on classified.order_id = orders.order_id
    left join order_money
        on classified.order_id = order_money.order_id

),

queued as (

    select
        with_order.*,
        case
            when closed_order_is_informational and cancelled_at is not null then 'cancelled'
            when closed_order_is_informational and is_fully_refunded then 'fully_refunded'
            when vendor_sla_is_informational
                and vendor_type = '3p'
                and {{ as_of }} < {{ dbt.dateadd('hour', var('vendor_sla_hours'), 'promised_delivery_at') }}
                then '3p_vendor_sla'
        end as queue_reason
    from with_order

),

{#-
    R8 and R9 (family `integrity`): the share of affected keys among their bucket's population
    (int_integrity_bucket_keys): for R8 the OMS orders whose start moment (created for a missing CRM,
    delivered for a missing ERP) falls in the hour, for R9 the keys the orphan's system saw that hour.
-#}
integrity_affected as (

    select
        rule_id,
        subject_system,
        {{ dbt.date_trunc('hour', 'divergence_start') }} as hour_start,
        order_id as key_id
    from queued
    where rule_family = 'integrity'

),

{#- The affected keys belong to their bucket's population by construction; the union makes sure of it. -#}
integrity_bucket_keys as (

    select rule_id, source_system, hour_start, key_id from integrity_population
    union
    select rule_id, subject_system as source_system, hour_start, key_id from integrity_affected

),

integrity_bucket_sizes as (

    select
        rule_id,
        source_system,
        hour_start,
        count(*) as keys_in_bucket
    from integrity_bucket_keys
    group by rule_id, source_system, hour_start

),

integrity_shares as (

    select
        integrity_affected.rule_id,
        integrity_affected.subject_system,
        integrity_affected.hour_start,
        count(distinct integrity_affected.key_id) * 1.0 / max(integrity_bucket_sizes.keys_in_bucket)
            as affected_share
    from integrity_affected
    inner join integrity_bucket_sizes
        on integrity_affected.rule_id = integrity_bucket_sizes.rule_id
        and integrity_affected.subject_system = integrity_bucket_sizes.source_system
        and integrity_affected.hour_start = integrity_bucket_sizes.hour_start
    group by integrity_affected.rule_id, integrity_affected.subject_system, integrity_affected.hour_start

),

severity as (

    select
        queued.*,
        integrity_shares.affected_share,
        case
            when integrity_shares.affected_share > {{ var('affected_share_high') }} then 'high'
            when coalesce(queued.exposure_amount, 0) >= {{ var('severity_high_exposure') }} then 'high'
            when coalesce(queued.exposure_amount, 0) >= {{ var('severity_medium_exposure') }} then 'medium'
            else 'low'
        end as severity
    from queued
    left join integrity_shares
        on queued.rule_id = integrity_shares.rule_id
        and queued.subject_system = integrity_shares.subject_system
        and {{ dbt.date_trunc('hour', 'queued.divergence_start') }} = integrity_shares.hour_start

),

clustered as (

    select
        severity.*,
        case when rule_family in ('delivery', 'money') then carrier end as cluster_carrier,
        case when rule_family = 'delivery' then zone end as cluster_zone,
        case when rule_family = 'money' then payment_mode end as cluster_payment_mode,
        case when rule_family = 'integrity' then subject_system end as cluster_system
    from severity

),

final as (

    select
        divergence_id,
        order_id,
        rule_id,
        rule,
        rule_family,
        classification,
        case when queue_reason is null then 'action' else 'informational' end as queue,
        queue_reason,
        case when resolved_at is null then 'open' else 'resolved' end as status,
        divergence_start,
        resolved_at,
        detected_at,
        subject_system,
        systems,
        expected_state,
        observed_state,
        case when classification = 'mapping_error' then 'integrations' else rule_owner_team end as owner_team,
        severity,
        affected_share,
        case severity
            when 'high' then {{ dbt.dateadd('hour', var('sla_hours_high'), 'detected_at') }}
            when 'medium' then {{ dbt.dateadd('hour', var('sla_hours_medium'), 'detected_at') }}
            else {{ dbt.dateadd('hour', var('sla_hours_low'), 'detected_at') }}
        end as sla_due_at,
        exposure_amount,
        exposure_currency as currency,
        carrier,
        zone,
        region,
        warehouse_id,
        sku_category,
        payment_mode,
        vendor_type,
        cluster_grain,
        bucket_start,
        cluster_carrier,
        cluster_zone,
        cluster_payment_mode,
        cluster_system,
        {{ recon.generate_surrogate_key([
            'rule_id', 'classification', 'cluster_carrier', 'cluster_zone', 'cluster_payment_mode',
            'cluster_system', 'cluster_grain', 'bucket_start',
        ]) }} as cluster_id,
        classification_evidence,
        {{ dbt.concat([
            'summary_fact',
            "coalesce(" ~ dbt.concat(["'; '", 'classification_evidence']) ~ ", '')",
            "' ('",
            "case classification when 'unknown' then 'cause unknown' else replace(classification, '_', ' ') end",
            "coalesce(" ~ dbt.concat(["'; informational: '", "replace(queue_reason, '_', ' ')"]) ~ ", '')",
            "').'",
        ]) }} as summary
    from clustered

)

select * from final
