{#-
    R10 amount_mismatch: an erp INVOICED or payments CAPTURED / COD_COLLECTED amount that differs from
    the OMS CREATED amount by more than 0.01, or is in another currency. Start = the mismatching event.
    Another currency, or one amount exactly 100x the other (minor units), is a mapping_error.
-#}
with

timeline as (

    select * from {{ ref('int_order_events_unioned') }}

),

orders as (

    select * from {{ ref('int_order_attributes') }}

),

charged as (

    select timeline.*
    from timeline
    where (timeline.source_system = 'erp' and timeline.canonical_state = 'invoiced')
        or (timeline.source_system = 'payments' and timeline.canonical_state = 'captured')

),

mismatches as (

    select
        charged.order_id,
        charged.source_system,
        charged.event_id,
        charged.event_at,
        charged.amount,
        charged.currency,
        orders.amount as order_amount,
        orders.currency as order_currency,
        coalesce(charged.currency, '') <> coalesce(orders.currency, '') as is_other_currency
    from charged
    inner join orders
        on charged.order_id = orders.order_id
    where orders.amount is not null
        and (
            coalesce(charged.currency, '') <> coalesce(orders.currency, '')
            or abs(charged.amount - orders.amount) > 0.01
        )

),

first_per_start as (

    {{ recon.deduplicate('mismatches', 'order_id, event_at', 'source_system, event_id') }}

),

final as (

    select
        order_id,
        'R10' as rule_id,
        event_at as divergence_start,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        event_at as detected_at,
        source_system as subject_system,
        {{ dbt.concat(["'oms,'", 'source_system']) }} as systems,
        {{ dbt.concat(['order_currency', "' '", recon.format_amount('order_amount')]) }} as expected_state,
        {{ dbt.concat(['currency', "' '", recon.format_amount('amount')]) }} as observed_state,
        case when is_other_currency then order_amount else abs(amount - order_amount) end as exposure_amount,
        order_currency as exposure_currency,
        cast(null as {{ dbt.type_string() }}) as subject_carrier,
        (is_other_currency or amount = order_amount * 100 or amount * 100 = order_amount) as is_rule_mapping_error,
        false as is_manual_override,
        case
            when is_other_currency then 'the currency differs'
            else 'one amount is exactly 100x the other (minor units)'
        end as rule_evidence,
        {{ dbt.concat([
            recon.system_label('source_system'), "' recorded '", 'currency', "' '",
            recon.format_amount('amount'), "' at '", recon.format_timestamp('event_at'),
            "' against the OMS order amount of '", 'order_currency', "' '",
            recon.format_amount('order_amount'),
        ]) }} as summary_fact
    from first_per_start

)

select * from final
