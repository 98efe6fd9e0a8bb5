{#-
    At every moment any of oms, carrier (active awb) and crm changed delivery phase, or the order got an awb: each one's phase
    then, the owner's phase, whether they differ, and when they next agreed. A system with no delivery
    event yet is not compared. Feeds R1 and the reconciliation-lag metric.
-#}
with

intervals as (

    select * from {{ ref('int_delivery_phase_intervals') }}

),

order_awbs as (

    select * from {{ ref('int_order_awbs') }}

),

{#- Every phase change, and every awb assignment (the carrier's active awb changes there). -#}
change_points as (

    select
        order_id,
        valid_from as point_at
    from intervals

    union

    select
        order_id,
        assigned_at as point_at
    from order_awbs

),

{%- set systems = ['oms', 'carrier', 'crm'] %}
{#- An end for open intervals, so the range join stays a plain comparison (no OR) the planner can use. -#}
{%- set open_end = "cast('9999-12-31 00:00:00' as " ~ dbt.type_timestamp() ~ ")" %}

phases_at_point as (

    select
        change_points.order_id,
        change_points.point_at
        {%- for system in systems %},
        {{ system }}.delivery_phase as {{ system }}_phase,
        {{ system }}.event_id as {{ system }}_event_id,
        {{ system }}.actor_type as {{ system }}_actor_type,
        {{ system }}.valid_from as {{ system }}_phase_at
        {%- endfor %}
    from change_points
    {%- for system in systems %}
    left join intervals as {{ system }}
        on change_points.order_id = {{ system }}.order_id
        and {{ system }}.source_system = '{{ system }}'
        and {{ system }}.valid_from <= change_points.point_at
        and coalesce({{ system }}.valid_to, {{ open_end }}) > change_points.point_at
    {%- endfor %}

),

compared as (

    select
        phases_at_point.*,
        {{ recon.delivery_owner_system('oms_phase', 'carrier_phase') }} as owner_system,
        (
            (oms_phase is not null and carrier_phase is not null and oms_phase <> carrier_phase)
            or (oms_phase is not null and crm_phase is not null and oms_phase <> crm_phase)
            or (carrier_phase is not null and crm_phase is not null and carrier_phase <> crm_phase)
        ) as is_diverged
    from phases_at_point

),

with_owner as (

    select
        compared.*,
        case owner_system
            when 'carrier' then carrier_phase
            when 'oms' then oms_phase
        end as owner_phase
    from compared

),

final as (

    select
        with_owner.*,
        {#- The first system (in oms, crm, carrier order) whose phase differs from the owner's. -#}
        case
            when not is_diverged then null
            when owner_system <> 'oms' and oms_phase is not null and oms_phase <> owner_phase then 'oms'
            when crm_phase is not null and crm_phase <> owner_phase then 'crm'
            when owner_system <> 'carrier' and carrier_phase is not null and carrier_phase <> owner_phase then 'carrier'
        end as diverging_system,
        min(case when not is_diverged then point_at end) over (
            partition by order_id order by point_at rows between 1 following and unbounded following
        ) as next_agreed_at
    from with_owner

)

select * from final
