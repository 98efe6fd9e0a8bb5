{#-
    The run's evaluation time as a UTC timestamp literal.

    `var('as_of')` accepts an ISO 8601 string with or without an offset ("2026-03-01T10:00:00Z",
    "2026-03-01 15:30:00+05:30", "2026-03-01 10:00:00" = UTC). Unset, it is dbt's `run_started_at`,
    so every model of one run sees the same "now".
-#}
{% macro as_of() -%}
    cast('{{ recon.as_of_string() }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro as_of_string() -%}
    {%- set raw = var('as_of', none) -%}
    {%- if raw -%}
        {%- set parsed = modules.datetime.datetime.fromisoformat((raw | string).strip().replace('Z', '+00:00')) -%}
    {%- else -%}
        {%- set parsed = run_started_at -%}
    {%- endif -%}
    {%- if parsed.tzinfo is not none -%}
        {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{- parsed.strftime('%Y-%m-%d %H:%M:%S') -}}
{%- endmacro %}
