-- Mapping errors go to the integrations team whatever the rule's owner (RULES.md "Classification").
select *
from {{ ref('fct_divergences') }}
where classification = 'mapping_error'
    and owner_team <> 'integrations'
