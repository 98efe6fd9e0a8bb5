{#- One row: the as_of the marts were built for, so a replay rebuilds them for the same moment. -#}
select
    {{ recon.as_of() }} as as_of,
    {{ dbt.current_timestamp() }} as built_at
