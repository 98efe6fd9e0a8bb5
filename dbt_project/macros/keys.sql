{#- A stable md5 of the fields, nulls and separators included (dbt-utils' generate_surrogate_key). -#}
{% macro generate_surrogate_key(fields) -%}
    {%- set parts = [] -%}
    {%- for field in fields -%}
        {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_recon_null_')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#-
    An order id as the OMS writes it: `#0001234`, `ord-0001234` and `0001234` all become `ORD-0001234`.
    Used for CRM's order_ref and to recognise orphan ids that are a real order in another spelling.
-#}
{% macro normalize_order_id(expression) -%}
    {%- set cleaned = "upper(ltrim(trim(" ~ expression ~ "), '#'))" -%}
    case
        when {{ expression }} is null then null
        when {{ cleaned }} like 'ORD-%' then {{ cleaned }}
        else {{ dbt.concat(["'ORD-'", cleaned]) }}
    end
{%- endmacro %}
