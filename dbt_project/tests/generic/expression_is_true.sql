{#- Every row satisfies the boolean SQL expression (dbt-utils' test of the same name); use `config: where:` to scope. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
