{#-
    Half-open intervals [lower, upper) of one partition never overlap (a null upper is open-ended);
    a simpler cousin of dbt-utils' mutually_exclusive_ranges. Zero-length intervals are allowed.
-#}
{% test no_overlapping_intervals(model, lower_bound_column, upper_bound_column, partition_by) %}

with

intervals as (

    select
        {{ partition_by }},
        {{ lower_bound_column }} as lower_bound,
        {{ upper_bound_column }} as upper_bound,
        lead({{ lower_bound_column }}) over (
            partition by {{ partition_by }}
            order by {{ lower_bound_column }}, {{ upper_bound_column }}
        ) as next_lower_bound
    from {{ model }}

)

select *
from intervals
where next_lower_bound is not null
    and (upper_bound is null or upper_bound > next_lower_bound)
    and upper_bound is distinct from lower_bound

{% endtest %}
