{#- `left.c = right.c and ...` for each of the columns: an equi-join of two relations on a shared grain. -#}
{% macro join_on(left, right, columns) -%}
    {%- for column in columns %}
        {{ 'and ' if not loop.first }}{{ left }}.{{ column }} = {{ right }}.{{ column }}
    {%- endfor %}
{%- endmacro %}

{#- The grain columns of a full outer join: each the first non-null of the relations' values. -#}
{% macro coalesce_columns(relations, columns) -%}
    {%- for column in columns %}
        {%- set values = [] %}
        {%- for relation in relations %}{% do values.append(relation ~ '.' ~ column) %}{% endfor %}
        coalesce({{ values | join(', ') }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
