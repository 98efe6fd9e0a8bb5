{#-
    The relation has exactly these columns, in this order: for an interface other programs read
    (fct_divergences, INTERFACES.md). Returns one row describing the difference when it fails.
-#}
{% test has_columns_in_order(model, columns) %}

{%- set actual = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- do actual.append(column.name | lower) -%}
    {%- endfor -%}
{%- endif -%}
{%- set expected = columns | map('lower') | list -%}

select
    '{{ actual | join(",") }}' as actual_columns,
    '{{ expected | join(",") }}' as expected_columns
where {{ 'false' if (actual == expected or not execute) else 'true' }}

{% endtest %}
