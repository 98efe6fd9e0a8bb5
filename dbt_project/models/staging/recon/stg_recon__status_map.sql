{#-
    The status mapping in force: seeds/status_map.csv plus var('status_map_extra')
    ({system: {NATIVE: canonical_state}}, fed from recon.yaml). An extra mapping replaces the seed's row
    for the same (system, native_status); its delivery rank is the rank the seed gives that canonical state.
-#}
{%- set extra = var('status_map_extra', {}) or {} -%}
{%- if extra is string -%}{%- set extra = fromjson(extra) -%}{%- endif -%}
{%- set extra_rows = [] -%}
{%- for system, mappings in extra.items() -%}
    {%- for native_status, canonical_state in (mappings or {}).items() -%}
        {%- do extra_rows.append([system, native_status, canonical_state]) -%}
    {%- endfor -%}
{%- endfor -%}

with

seeded as (

    select * from {{ ref('status_map') }}

),

state_ranks as (

    select
        canonical_state,
        max(delivery_rank) as delivery_rank
    from seeded
    group by canonical_state

),

extra as (

    {% if extra_rows -%}
    select
        cast(extra_rows.system as {{ dbt.type_string() }}) as system,
        cast(extra_rows.native_status as {{ dbt.type_string() }}) as native_status,
        cast(extra_rows.canonical_state as {{ dbt.type_string() }}) as canonical_state
    from (
        values
        {%- for row in extra_rows %}
        ({% for value in row %}'{{ value | string | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %}){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as extra_rows (system, native_status, canonical_state)
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as system,
        cast(null as {{ dbt.type_string() }}) as native_status,
        cast(null as {{ dbt.type_string() }}) as canonical_state
    where 1 = 0
    {%- endif %}

),

extra_mapped as (

    select
        extra.system,
        extra.native_status,
        extra.canonical_state,
        state_ranks.delivery_rank,
        'status_map_extra' as mapping_source
    from extra
    left join state_ranks
        on extra.canonical_state = state_ranks.canonical_state

),

seeded_kept as (

    select
        seeded.system,
        seeded.native_status,
        seeded.canonical_state,
        seeded.delivery_rank,
        'seed' as mapping_source
    from seeded
    where not exists (
        select 1
        from extra
        where extra.system = seeded.system
            and extra.native_status = seeded.native_status
    )

),

final as (

    select * from extra_mapped
    union all
    select * from seeded_kept

)

select * from final
