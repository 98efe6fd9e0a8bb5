{#- Every rule model's divergences stacked in the shared column layout (macros/divergences.sql). -#}
{%- set columns = recon.divergence_columns() %}

with

{% for model in recon.divergence_rule_models() -%}
{{ model }} as (

    select {{ columns | join(', ') }}
    from {{ ref(model) }}

),

{% endfor -%}

unioned as (

    {% for model in recon.divergence_rule_models() -%}
    select * from {{ model }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

final as (

    select
        {{ recon.generate_surrogate_key(['order_id', 'rule_id', 'divergence_start']) }} as divergence_id,
        unioned.*
    from unioned

)

select * from final
