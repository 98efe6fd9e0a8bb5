"""RULES.md's as_of: results are what the systems showed at as_of; an event after it has not happened yet.

Every scenario of test_rules.py, evaluated at 2026-03-01 13:00Z instead: five hours into the first day,
when the T0 orders are in transit and most scenario events are still in the future. Only what had happened
by then may diverge, start, resolve, or decide a queue.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.dbt import test_rules
from tests.dbt.recon_dbt_harness import iso, utc

EARLY = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def marts(marts_for):
    return marts_for(test_rules.SCENARIOS, name="as_of_early", as_of=iso(EARLY))


def test_only_what_had_happened_by_as_of_diverges(marts):
    rows = marts.rows(
        "select order_id, rule, status, divergence_start, queue_reason from main.fct_divergences"
        " order by order_id, divergence_start, rule"
    )
    assert rows == [
        # Cancelled at 09:00; the CRM still shows the order placed four hours later.
        {
            "order_id": "ORD-R1-CANCELLED",
            "rule": "delivery_status_conflict",
            "status": "open",
            "divergence_start": utc(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
            "queue_reason": "cancelled",
        },
        # Invoiced / captured amounts that differ, recorded before 13:00.
        {
            "order_id": "ORD-R10-CURRENCY",
            "rule": "amount_mismatch",
            "status": "open",
            "divergence_start": utc(datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
            "queue_reason": None,
        },
        {
            "order_id": "ORD-R10-DIFF",
            "rule": "amount_mismatch",
            "status": "open",
            "divergence_start": utc(datetime(2026, 3, 1, 8, 1, tzinfo=UTC)),
            "queue_reason": None,
        },
        {
            "order_id": "ORD-R10-PENNIES",
            "rule": "amount_mismatch",
            "status": "open",
            "divergence_start": utc(datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
            "queue_reason": None,
        },
    ]


def test_rules_do_not_fire_on_what_comes_after_as_of(marts):
    # Created 5 h before as_of: not yet missing from the CRM (R8 needs more than 6 h).
    assert marts.divergences("ORD-R8-CRM-LATE") == []
    # Delivered only the next day: no revenue is due yet (R4).
    assert marts.divergences("ORD-R4-LATE", "ORD-R4-NONE") == []
    # Promised for 05:00 the next day: as_of is before promised_by (R11).
    assert marts.divergences("ORD-R11-LATE") == []
    # Refunds, ticket actions, reversals, inversions and RTOs of later that day or after.
    assert marts.divergences("ORD-R5-REFUND", "ORD-R6-EARLY", "ORD-R7-TWICE", "ORD-R2-INVERSION", "ORD-R3-NO-NDR") == []


def test_order_state_is_the_state_at_as_of(marts):
    [state] = marts.rows(
        "select oms_state, carrier_state, crm_state, erp_state, delivered_at, owner_delivery_phase, is_in_agreement"
        " from main.fct_order_state where order_id = 'ORD-HAPPY-1'"
    )
    assert state == {
        "oms_state": "shipped",
        "carrier_state": "in_transit",
        "crm_state": "in_transit",
        "erp_state": "invoiced",
        "delivered_at": None,
        "owner_delivery_phase": "in_transit",
        "is_in_agreement": True,
    }
    # An order created after as_of does not exist yet.
    assert marts.rows("select order_id from main.fct_order_state where order_id = 'ORD-R8-NO-CRM'") == []
    [latest] = marts.rows("select max(created_at) as created_at from main.fct_order_state")
    assert latest["created_at"] <= utc(EARLY)


def test_nothing_starts_or_resolves_after_as_of(marts):
    late = marts.rows(
        "select order_id, rule from main.fct_divergences where divergence_start > ? or resolved_at > ?",
        utc(EARLY),
        utc(EARLY),
    )
    assert late == []
