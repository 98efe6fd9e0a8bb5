{#-
    Small adapter-dispatched helpers for what dbt's cross-database macros do not cover.
    Each has a default (ANSI/PostgreSQL) and a DuckDB implementation.
-#}

{#- Keep the first row per partition in the given order (dbt-utils' deduplicate). -#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('deduplicate', 'recon')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__deduplicate(relation, partition_by, order_by) -%}
    select distinct on ({{ partition_by }}) *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}

{% macro duckdb__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{#- Join the non-null arguments with a separator. -#}
{% macro concat_ws(separator, expressions) -%}
    {{ return(adapter.dispatch('concat_ws', 'recon')(separator, expressions)) }}
{%- endmacro %}

{% macro default__concat_ws(separator, expressions) -%}
    concat_ws({{ separator }}, {{ expressions | join(', ') }})
{%- endmacro %}

{#- A UTC timestamp as text for summaries: style 'datetime' (2026-03-01 14:02) or 'time' (14:02). -#}
{% macro format_timestamp(expression, style='datetime') -%}
    {{ return(adapter.dispatch('format_timestamp', 'recon')(expression, style)) }}
{%- endmacro %}

{% macro default__format_timestamp(expression, style) -%}
    to_char({{ expression }}, '{{ "HH24:MI" if style == "time" else "YYYY-MM-DD HH24:MI" }}')
{%- endmacro %}

{% macro duckdb__format_timestamp(expression, style) -%}
    strftime({{ expression }}, '{{ "%H:%M" if style == "time" else "%Y-%m-%d %H:%M" }}')
{%- endmacro %}

{#- Elapsed minutes between two timestamps (not boundary crossings), as a number. -#}
{% macro minutes_between(start, finish) -%}
    {{ return(adapter.dispatch('minutes_between', 'recon')(start, finish)) }}
{%- endmacro %}

{% macro default__minutes_between(start, finish) -%}
    (extract(epoch from ({{ finish }}) - ({{ start }})) / 60.0)
{%- endmacro %}

{% macro duckdb__minutes_between(start, finish) -%}
    (epoch({{ finish }}) - epoch({{ start }})) / 60.0
{%- endmacro %}

{#- A duration in minutes as short text: "45 min", "3 h", "2 d". -#}
{% macro humanize_minutes(minutes) -%}
    case
        when {{ minutes }} < 120 then {{ dbt.concat(["cast(cast(floor(" ~ minutes ~ ") as integer) as " ~ dbt.type_string() ~ ")", "' min'"]) }}
        when {{ minutes }} < 2880 then {{ dbt.concat(["cast(cast(floor(" ~ minutes ~ " / 60) as integer) as " ~ dbt.type_string() ~ ")", "' h'"]) }}
        else {{ dbt.concat(["cast(cast(floor(" ~ minutes ~ " / 1440) as integer) as " ~ dbt.type_string() ~ ")", "' d'"]) }}
    end
{%- endmacro %}

{#- An amount as text with two decimals, for states and summaries: 1000 -> '1000.00'. -#}
{% macro format_amount(expression) -%}
    cast(cast({{ expression }} as decimal(18, 2)) as {{ dbt.type_string() }})
{%- endmacro %}
