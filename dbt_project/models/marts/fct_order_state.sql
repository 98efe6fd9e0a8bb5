{#-
    One row per OMS order: each system's latest canonical state and when it was reached (carrier: on the
    active awb), the owner's delivery state, whether oms / carrier / crm agree now, and the order's first
    divergence point and divergence counts.
-#}
{%- set systems = recon.order_systems() %}

with

orders as (

    select * from {{ ref('int_order_attributes') }}

),

order_money as (

    select * from {{ ref('int_order_money') }}

),

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

agreement_points as (

    select * from {{ ref('int_delivery_agreement_points') }}

),

divergences as (

    select * from {{ ref('int_divergences_enriched') }}

),

stated_events as (

    select * from timeline
    where canonical_state is not null
        and is_active_awb

),

latest_states as (

    {{ recon.deduplicate('stated_events', 'order_id, source_system', 'event_at desc, recorded_at desc, event_id desc') }}

),

latest_states_pivoted as (

    select
        order_id
        {%- for system in systems %},
        max(case when source_system = '{{ system }}' then canonical_state end) as {{ system }}_state,
        max(case when source_system = '{{ system }}' then event_at end) as {{ system }}_state_at
        {%- endfor %}
    from latest_states
    group by order_id

),

latest_agreement as (

    {{ recon.deduplicate('agreement_points', 'order_id', 'point_at desc') }}

),

divergence_summary as (

    select
        order_id,
        min(divergence_start) as first_divergence_at,
        count(*) as divergences,
        sum(case when status = 'open' then 1 else 0 end) as open_divergences,
        sum(case when status = 'open' and queue = 'action' then 1 else 0 end) as open_action_divergences
    from divergences
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.created_at,
        orders.amount,
        orders.currency,
        orders.payment_mode,
        orders.vendor_type,
        orders.carrier,
        orders.active_carrier_awb,
        orders.zone,
        orders.region,
        orders.warehouse_id,
        orders.sku_category,
        orders.promised_delivery_at,
        {%- for system in systems %}
        latest_states_pivoted.{{ system }}_state,
        latest_states_pivoted.{{ system }}_state_at,
        {%- endfor %}
        latest_agreement.oms_phase as oms_delivery_phase,
        latest_agreement.carrier_phase as carrier_delivery_phase,
        latest_agreement.crm_phase as crm_delivery_phase,
        latest_agreement.owner_system as delivery_owner_system,
        latest_agreement.owner_phase as owner_delivery_phase,
        coalesce(not latest_agreement.is_diverged, true) as is_in_agreement,
        (
            latest_agreement.oms_phase is not null
            and latest_agreement.crm_phase is not null
            and latest_agreement.oms_phase = latest_agreement.crm_phase
        ) as is_crm_aligned_with_oms,
        orders.delivered_at,
        orders.cancelled_at,
        orders.cancelled_at is not null as is_cancelled,
        order_money.refunded_total,
        order_money.is_fully_refunded,
        divergence_summary.first_divergence_at,
        coalesce(divergence_summary.divergences, 0) as divergences,
        coalesce(divergence_summary.open_divergences, 0) as open_divergences,
        coalesce(divergence_summary.open_action_divergences, 0) as open_action_divergences
    from orders
    left join latest_states_pivoted
        on orders.order_id = latest_states_pivoted.order_id
    left join latest_agreement
        on orders.order_id = latest_agreement.order_id
    left join order_money
        on orders.order_id = order_money.order_id
    left join divergence_summary
        on orders.order_id = divergence_summary.order_id

)

select * from final
