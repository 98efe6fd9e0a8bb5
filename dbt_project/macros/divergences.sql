{#-
    The columns every rule model (int_divergence_<rule>) emits, in this order, so
    int_divergences_unioned can stack them:
      order_id, rule_id, divergence_start, resolved_at (null while it lasts; never after as_of, since no
      event after as_of is staged),
      detected_at (when the rule's condition became true: the SLA clock starts there),
      subject_system (the lagging / diverging system), systems (comma list), expected_state,
      observed_state, exposure_amount, exposure_currency, subject_carrier (a carrier name the order
      attributes cannot give, R9), is_rule_mapping_error / is_manual_override (the rule's own
      classification evidence), rule_evidence (its text), summary_fact (what happened, plainly).
-#}
{% macro divergence_columns() -%}
    {{ return([
        'order_id', 'rule_id', 'divergence_start', 'resolved_at', 'detected_at', 'subject_system',
        'systems', 'expected_state', 'observed_state', 'exposure_amount', 'exposure_currency',
        'subject_carrier', 'is_rule_mapping_error', 'is_manual_override', 'rule_evidence', 'summary_fact',
    ]) }}
{%- endmacro %}

{#- The rule models unioned into the marts, one per RULES.md rule. -#}
{% macro divergence_rule_models() -%}
    {{ return([
        'int_divergence_delivery_status_conflict',
        'int_divergence_timeline_sequence_error',
        'int_divergence_rto_without_ndr',
        'int_divergence_revenue_not_recognized',
        'int_divergence_refund_before_return',
        'int_divergence_ticket_closed_before_order',
        'int_divergence_status_reversal',
        'int_divergence_missing_in_system',
        'int_divergence_orphan_record',
        'int_divergence_amount_mismatch',
        'int_divergence_overdue_unfulfilled',
    ]) }}
{%- endmacro %}

{#- A canonical state as words: out_for_delivery -> out for delivery. -#}
{% macro state_label(state) -%}
    replace(coalesce({{ state }}, 'nothing'), '_', ' ')
{%- endmacro %}

{#-
    True when the change was made by a support agent and the same system logged no `api:*` event for
    the order within +/- window of it (RULES.md classification, manual_override for R1 and R7).
-#}
{% macro is_agent_change_without_api(actor_type, order_id, system, changed_at) -%}
    (
        {{ actor_type }} = 'agent'
        and not exists (
            select 1
            from {{ ref('int_order_events_unioned') }} as api_events
            where api_events.order_id = {{ order_id }}
                and api_events.source_system = {{ system }}
                and api_events.actor_type = 'api'
                and api_events.event_at >= {{ dbt.dateadd('minute', -1 * var('window_minutes'), changed_at) }}
                and api_events.event_at <= {{ dbt.dateadd('minute', var('window_minutes'), changed_at) }}
        )
    )
{%- endmacro %}

{#-
    The end of a divergence as seen at as_of: its resolution, else as_of. A resolution is an event's
    moment, and no event after as_of is staged (staged_events), so it is never after as_of.
-#}
{% macro effective_end(resolved_at) -%}
    coalesce({{ resolved_at }}, {{ recon.as_of() }})
{%- endmacro %}

{#-
    True when `events` (a relation with order_id and event_at) has an event for the order at or before
    `moment` ("at or before T", R3 and R5), and, given `since`, not before it (a window up to `moment`).
-#}
{% macro has_order_event_by(events, order_id, moment, since=none) -%}
    exists (
        select 1
        from {{ events }}
        where {{ events }}.order_id = {{ order_id }}
            and {{ events }}.event_at <= {{ moment }}
            {%- if since is not none %}
            and {{ events }}.event_at >= {{ since }}
            {%- endif %}
    )
{%- endmacro %}

{#- The first event_at in `events` for the order after `moment`, or null: where a divergence resolves (R5, R6). -#}
{% macro first_order_event_after(events, order_id, moment) -%}
    (
        select min({{ events }}.event_at)
        from {{ events }}
        where {{ events }}.order_id = {{ order_id }}
            and {{ events }}.event_at > {{ moment }}
    )
{%- endmacro %}

{#- The classification columns of a rule without a mapping-error or manual-override test of its own. -#}
{% macro no_rule_evidence() -%}
    false as is_rule_mapping_error,
    false as is_manual_override,
    cast(null as {{ dbt.type_string() }}) as rule_evidence
{%- endmacro %}

{#-
    True when an awaited event missed its due time: it came after `due_at`, or it has not come and as_of
    is past `due_at` (R4 revenue, R8 the missing system's first event, R11 fulfilment).
-#}
{% macro is_past_due(arrived_at, due_at) -%}
    (
        ({{ arrived_at }} is null and {{ recon.as_of() }} > {{ due_at }})
        or {{ arrived_at }} > {{ due_at }}
    )
{%- endmacro %}
