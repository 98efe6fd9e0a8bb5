"""RULES.md rules R1-R11 on hand-built events: each fires, and does not fire on its near miss.

All scenarios of this module go into one warehouse (one `dbt build`); each uses its own order ids.
Times are UTC; the evaluation time is AS_OF (2026-03-10 12:00Z), after most scenarios. The near misses
around as_of (R8's missing_after, R4's revenue_lag, events one minute after it) are placed relative to
AS_OF; test_as_of.py evaluates all of these scenarios again at an earlier as_of.
"""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from tests.dbt.recon_dbt_harness import AS_OF, Scenarios, at, utc

IST = timezone(timedelta(hours=5, minutes=30))
# Steps of Events.order after the parcel leaves the warehouse: skip them for an order still in transit.
FROM_OFD = {
    "carrier:OFD",
    "oms:OUT_FOR_DELIVERY",
    "crm:Out for Delivery",
    "carrier:DLVD",
    "oms:DELIVERED",
    "crm:Delivered",
    "erp:REVENUE_RECOGNIZED",
}
FROM_SHIPPING = FROM_OFD | {
    "wms:MANIFESTED",
    "oms:SHIPPED",
    "carrier:PICKUP",
    "crm:Shipped",
    "erp:INVOICED",
    "carrier:IN_TRANSIT",
    "crm:In Transit",
}

SCENARIOS = Scenarios()
scenario = SCENARIOS.add


@pytest.fixture(scope="module")
def marts(marts_for):
    return marts_for(SCENARIOS)


def row(rule, classification="unknown", queue="action", queue_reason=None, status="open"):
    return {
        "rule": rule,
        "classification": classification,
        "queue": queue,
        "queue_reason": queue_reason,
        "status": status,
    }


# -- baseline -------------------------------------------------------------------------------------


@scenario
def happy_orders(ev):
    ev.order("ORD-HAPPY-1")
    ev.order("ORD-HAPPY-2", at(hours=5), payment_mode="cod", vendor_type="3p")


def test_a_consistent_order_has_no_divergence(marts):
    assert marts.divergences("ORD-HAPPY-1", "ORD-HAPPY-2") == []


# -- R1 delivery_status_conflict ------------------------------------------------------------------


@scenario
def r1_grace(ev):
    # The OMS learns of the delivery 2 h 01 min after the carrier: past grace, resolved late.
    ev.order("ORD-R1-LATE", times={"oms:DELIVERED": at(22, 121)})
    # 1 h 59 min: inside grace, not a divergence.
    ev.order("ORD-R1-INSIDE", times={"oms:DELIVERED": at(22, 119)})
    # The OMS never learns of it.
    ev.order("ORD-R1-OPEN", skip={"oms:DELIVERED"})


def test_r1_fires_past_grace_and_resolves_when_systems_agree(marts):
    assert marts.divergences("ORD-R1-LATE") == [row("delivery_status_conflict", "sync_delay", status="resolved")]
    [div] = marts.divergences(
        "ORD-R1-LATE", columns="divergence_start, resolved_at, systems, expected_state, observed_state, owner_team"
    )
    assert div == {
        "divergence_start": utc(at(22)),
        "resolved_at": utc(at(22, 121)),
        "systems": "oms,carrier",
        "expected_state": "delivered",
        "observed_state": "out_for_delivery",
        "owner_team": "logistics_ops",
    }


def test_r1_does_not_fire_inside_grace(marts):
    assert marts.divergences("ORD-R1-INSIDE") == []


def test_r1_open_conflict_has_no_resolved_at_and_a_summary(marts):
    """Classification path `unknown`: nothing explains why the OMS never caught up."""
    [div] = marts.divergences("ORD-R1-OPEN", columns="rule, classification, status, resolved_at, summary, severity")
    assert div["rule"] == "delivery_status_conflict"
    assert div["classification"] == "unknown"
    assert div["status"] == "open"
    assert div["resolved_at"] is None
    assert div["severity"] == "medium"
    assert div["summary"] == (
        "Carrier shows delivered since 2026-03-02 06:00; OMS still shows out for delivery 8 d later (cause unknown)."
    )


@scenario
def r1_classifications(ev):
    # A support agent marks the order delivered in CRM while it is still out for delivery.
    agent = {"carrier:DLVD": at(23), "oms:DELIVERED": at(23), "crm:Delivered": at(23)}
    ev.order("ORD-R1-MANUAL", times=agent)
    ev.crm("ORD-R1-MANUAL", at(20, 10), "Delivered", actor="agent:alice")
    # Same, but the CRM also logged an API event 10 min later: not a manual override (it resolved late).
    ev.order("ORD-R1-AGENT-API", times=agent)
    ev.crm("ORD-R1-AGENT-API", at(20, 10), "Delivered", actor="agent:alice")
    ev.crm("ORD-R1-AGENT-API", at(20, 20), event_type="ticket_opened", actor="api:helpdesk")
    # The carrier->OMS webhook for this order failed a minute after the delivery.
    ev.order("ORD-R1-SYNC", skip={"oms:DELIVERED"})
    ev.call("carrier", "oms", "failed", at(22, 1), order_id="ORD-R1-SYNC", http_status=503)
    # A batch call (no order id) to the lagging OMS was dropped near the start.
    start = at(100, 13)
    ev.order("ORD-R1-BATCH", start, skip={"oms:DELIVERED"})
    ev.call("carrier", "oms", "dropped", start + timedelta(hours=22, minutes=10), attempt=5)
    # The OMS sent a status nobody mapped instead of DELIVERED.
    ev.order("ORD-R1-MAPPING", skip={"oms:DELIVERED"})
    ev.oms("ORD-R1-MAPPING", "DELIVERD", at(22, 5))


def test_r1_manual_override_by_an_agent_without_api_event(marts):
    assert marts.divergences("ORD-R1-MANUAL") == [row("delivery_status_conflict", "manual_override", status="resolved")]
    [div] = marts.divergences("ORD-R1-MANUAL", columns="systems, expected_state, observed_state, summary")
    assert div["systems"] == "carrier,crm"
    assert (div["expected_state"], div["observed_state"]) == ("out_for_delivery", "delivered")
    assert div["summary"] == (
        "Carrier showed out for delivery at 2026-03-02 04:10 while CRM showed delivered until they agreed"
        " at 07:00; a support agent set CRM to 'delivered' with no API update near it (manual override)."
    )


def test_r1_agent_change_with_api_event_nearby_is_not_manual(marts):
    assert marts.divergences("ORD-R1-AGENT-API") == [row("delivery_status_conflict", "sync_delay", status="resolved")]


def test_r1_sync_delay_from_a_failed_call_for_the_order(marts):
    assert marts.divergences("ORD-R1-SYNC") == [row("delivery_status_conflict", "sync_delay")]
    [div] = marts.divergences("ORD-R1-SYNC", columns="summary")
    assert div["summary"].endswith("; the carrier→oms call failed at 06:01 (sync delay).")


def test_r1_sync_delay_from_a_dropped_batch_call_to_the_lagging_system(marts):
    assert marts.divergences("ORD-R1-BATCH") == [row("delivery_status_conflict", "sync_delay")]


def test_r1_mapping_error_from_an_unmapped_status_routes_to_integrations(marts):
    assert marts.divergences("ORD-R1-MAPPING") == [row("delivery_status_conflict", "mapping_error")]
    [div] = marts.divergences("ORD-R1-MAPPING", columns="owner_team, summary")
    assert div["owner_team"] == "integrations"
    assert "OMS sent unmapped status 'DELIVERD' at 06:05 (mapping error)." in div["summary"]


@scenario
def r1_replacement(ev):
    # The first awb is delivered at 22:00 but neither OMS nor CRM hears of it; at 30:00 the OMS ships a
    # replacement on a new awb, which is the active one from then on, and all three agree again.
    ev.order("ORD-R1-REPLACED", skip={"oms:DELIVERED", "crm:Delivered"})
    ev.oms("ORD-R1-REPLACED", "REPLACEMENT_CREATED", at(30), awb="AWB-R1-REPLACED-2", carrier="BlueDart")
    ev.oms("ORD-R1-REPLACED", "SHIPPED", at(30), awb="AWB-R1-REPLACED-2", carrier="BlueDart")
    ev.crm("ORD-R1-REPLACED", at(30), "Shipped")
    ev.carrier("AWB-R1-REPLACED-2", "PICKUP", at(30))
    for hour, oms, carrier, crm in (
        (40, "OUT_FOR_DELIVERY", "OFD", "Out for Delivery"),
        (42, "DELIVERED", "DLVD", "Delivered"),
    ):
        ev.oms("ORD-R1-REPLACED", oms, at(hour))
        ev.carrier("AWB-R1-REPLACED-2", carrier, at(hour))
        ev.crm("ORD-R1-REPLACED", at(hour), crm)


def test_r1_compares_the_awb_active_at_each_moment(marts):
    [div] = marts.divergences("ORD-R1-REPLACED", columns="rule, classification, status, divergence_start, resolved_at")
    assert div == {
        "rule": "delivery_status_conflict",
        "classification": "sync_delay",
        "status": "resolved",
        "divergence_start": utc(at(22)),
        "resolved_at": utc(at(30)),
    }


@scenario
def r1_informational(ev):
    # Cancelled in the OMS; the CRM never heard and still shows the order placed.
    far = AS_OF + timedelta(days=5)
    ev.oms(
        "ORD-R1-CANCELLED",
        "CREATED",
        at(0),
        amount="800",
        currency="INR",
        payment_mode="prepaid",
        vendor_type="1p",
        zone="Z2",
        region="south",
        warehouse_id="WH-2",
        sku_category="toys",
        promised_by=far,
    )
    ev.crm("ORD-R1-CANCELLED", at(0), "Order Placed")
    ev.payments("ORD-R1-CANCELLED", "CAPTURED", at(0), amount="800")
    ev.oms("ORD-R1-CANCELLED", "CANCELLED", at(1))
    # Returned to origin after a failed attempt and refunded in full; the CRM still says return initiated.
    awb = ev.order("ORD-R1-REFUNDED", skip=FROM_OFD - {"carrier:OFD", "oms:OUT_FOR_DELIVERY", "crm:Out for Delivery"})
    ev.carrier(awb, "NDR", at(21))
    ev.carrier(awb, "RTO_INIT", at(22))
    ev.oms("ORD-R1-REFUNDED", "RTO_INITIATED", at(22))
    ev.crm("ORD-R1-REFUNDED", at(22), "Return Initiated")
    ev.carrier(awb, "RTO_DLVD", at(40))
    ev.wms("ORD-R1-REFUNDED", "RTO_RECEIVED", at(40))
    ev.oms("ORD-R1-REFUNDED", "RTO_DELIVERED", at(40))
    ev.payments("ORD-R1-REFUNDED", "REFUNDED", at(41), amount="1000.00")


def test_r1_on_a_cancelled_order_is_informational(marts):
    assert marts.divergences("ORD-R1-CANCELLED") == [
        row("delivery_status_conflict", queue="informational", queue_reason="cancelled")
    ]
    [div] = marts.divergences("ORD-R1-CANCELLED", columns="expected_state, observed_state, zone, region")
    assert div == {"expected_state": "cancelled", "observed_state": "pre_ship", "zone": "Z2", "region": "south"}


def test_r1_on_a_fully_refunded_order_is_informational_and_a_refund_after_rto_is_no_r5(marts):
    assert marts.divergences("ORD-R1-REFUNDED") == [
        row("delivery_status_conflict", queue="informational", queue_reason="fully_refunded")
    ]


# -- R2 timeline_sequence_error -------------------------------------------------------------------


@scenario
def r2_inversions(ev):
    # The carrier's delivered scan comes 17 min before its out-for-delivery scan (and again later).
    awb = ev.order("ORD-R2-INVERSION")
    ev.carrier(awb, "DLVD", at(19, 43))
    # A gap of exactly 60 min: a +01:00 local time written as UTC.
    awb = ev.order("ORD-R2-OFFSET")
    ev.carrier(awb, "DLVD", at(19))
    # Every carrier timestamp written with a +05:30 offset: the same instants, no inversion.
    ev.order(
        "ORD-R2-IST",
        times={
            "carrier:PICKUP": at(2).astimezone(IST),
            "carrier:IN_TRANSIT": at(4).astimezone(IST),
            "carrier:OFD": at(20).astimezone(IST),
            "carrier:DLVD": at(22).astimezone(IST),
        },
    )


def test_r2_fires_on_an_inversion(marts):
    assert marts.divergences("ORD-R2-INVERSION") == [row("timeline_sequence_error")]
    [div] = marts.divergences("ORD-R2-INVERSION", columns="divergence_start, systems, summary")
    assert div["divergence_start"] == utc(at(19, 43))
    assert div["systems"] == "carrier"
    assert div["summary"] == (
        "Carrier recorded delivered at 2026-03-02 03:43, 17 min before its first out for delivery at 04:00"
        " (cause unknown)."
    )


def test_r2_gap_of_whole_half_hours_is_a_mapping_error(marts):
    assert marts.divergences("ORD-R2-OFFSET") == [row("timeline_sequence_error", "mapping_error")]


def test_r2_offset_written_timestamps_are_not_an_inversion(marts):
    assert marts.divergences("ORD-R2-IST") == []


# -- R3 rto_without_ndr ---------------------------------------------------------------------------


def _rto_order(ev, order_id, ndr_at=None):
    awb = ev.order(order_id, skip=FROM_OFD - {"carrier:OFD", "oms:OUT_FOR_DELIVERY", "crm:Out for Delivery"})
    if ndr_at is not None:
        ev.carrier(awb, "NDR", ndr_at)
    ev.carrier(awb, "RTO_INIT", at(21))
    ev.oms(order_id, "RTO_INITIATED", at(21))
    ev.crm(order_id, at(21), "Return Initiated")
    ev.carrier(awb, "RTO_DLVD", at(30))
    ev.oms(order_id, "RTO_DELIVERED", at(30))
    ev.crm(order_id, at(30), "Returned")


@scenario
def r3_rto(ev):
    _rto_order(ev, "ORD-R3-NO-NDR")
    _rto_order(ev, "ORD-R3-NDR-AT-T", ndr_at=at(21))
    _rto_order(ev, "ORD-R3-NDR-AFTER", ndr_at=at(21, 1))


def test_r3_fires_without_ndr(marts):
    assert marts.divergences("ORD-R3-NO-NDR") == [row("rto_without_ndr")]
    [div] = marts.divergences("ORD-R3-NO-NDR", columns="divergence_start, owner_team")
    assert div == {"divergence_start": utc(at(21)), "owner_team": "logistics_ops"}


def test_r3_ndr_at_the_rto_moment_counts(marts):
    assert marts.divergences("ORD-R3-NDR-AT-T") == []


def test_r3_ndr_only_after_the_rto_does_not_count(marts):
    # The late NDR also puts the carrier back to out for delivery while the OMS shows the RTO (R1).
    assert marts.divergences("ORD-R3-NDR-AFTER") == [
        row("rto_without_ndr"),
        row("delivery_status_conflict", "sync_delay", status="resolved"),
    ]


# -- R4 revenue_not_recognized --------------------------------------------------------------------


@scenario
def r4_revenue(ev):
    ev.order("ORD-R4-NONE", skip={"erp:REVENUE_RECOGNIZED"})
    ev.order("ORD-R4-LATE", times={"erp:REVENUE_RECOGNIZED": at(22 + 24, 1)})
    ev.order("ORD-R4-INSIDE", times={"erp:REVENUE_RECOGNIZED": at(22 + 23, 59)})


def test_r4_open_when_revenue_never_came(marts):
    assert marts.divergences("ORD-R4-NONE") == [row("revenue_not_recognized")]
    [div] = marts.divergences("ORD-R4-NONE", columns="owner_team, severity, sla_due_at, exposure_amount, currency")
    assert div["owner_team"] == "finance_ops"
    assert div["severity"] == "medium"
    assert div["sla_due_at"] == utc(at(22 + 24 + 24))  # detected at D + 24 h, medium SLA 24 h
    assert float(div["exposure_amount"]) == 1000.0
    assert div["currency"] == "INR"


def test_r4_resolved_when_revenue_came_late(marts):
    [div] = marts.divergences("ORD-R4-LATE", columns="rule, classification, status, resolved_at")
    assert div == {
        "rule": "revenue_not_recognized",
        "classification": "sync_delay",
        "status": "resolved",
        "resolved_at": utc(at(46, 1)),
    }


def test_r4_does_not_fire_inside_the_revenue_lag(marts):
    assert marts.divergences("ORD-R4-INSIDE") == []


# -- R5 refund_before_return ----------------------------------------------------------------------


@scenario
def r5_refunds(ev):
    ev.order("ORD-R5-REFUND")
    ev.payments("ORD-R5-REFUND", "REFUND_INITIATED", at(30), amount="600.00")
    ev.order("ORD-R5-AGENT")
    ev.payments("ORD-R5-AGENT", "REFUNDED", at(30), amount="1000.00", actor="agent:bob")
    ev.order("ORD-R5-REQUESTED")
    ev.crm("ORD-R5-REQUESTED", at(25), event_type="refund_requested", actor="agent:bob")
    ev.payments("ORD-R5-REQUESTED", "REFUND_INITIATED", at(30), amount="1000.00")
    ev.order("ORD-R5-OLD-REQUEST")
    ev.crm("ORD-R5-OLD-REQUEST", at(23), event_type="refund_requested", actor="agent:bob")
    ev.payments("ORD-R5-OLD-REQUEST", "REFUND_INITIATED", at(47, 1), amount="1000.00")


def test_r5_fires_on_a_refund_with_no_return(marts):
    assert marts.divergences("ORD-R5-REFUND") == [row("refund_before_return")]
    [div] = marts.divergences("ORD-R5-REFUND", columns="exposure_amount, severity, systems")
    assert (float(div["exposure_amount"]), div["severity"], div["systems"]) == (600.0, "medium", "payments,oms")


def test_r5_refund_by_an_agent_is_a_manual_override(marts):
    assert marts.divergences("ORD-R5-AGENT") == [row("refund_before_return", "manual_override")]


def test_r5_refund_after_an_agent_request_within_24h_is_a_manual_override(marts):
    assert marts.divergences("ORD-R5-REQUESTED") == [row("refund_before_return", "manual_override")]


def test_r5_agent_request_more_than_24h_before_is_not(marts):
    assert marts.divergences("ORD-R5-OLD-REQUEST") == [row("refund_before_return")]


# -- R6 ticket_closed_before_order ----------------------------------------------------------------


@scenario
def r6_tickets(ev):
    ev.order("ORD-R6-EARLY")
    ev.crm("ORD-R6-EARLY", at(10), event_type="ticket_resolved", actor="api:helpdesk")
    ev.order("ORD-R6-AGENT")
    ev.crm("ORD-R6-AGENT", at(10), event_type="exchange_requested", actor="agent:carol")
    ev.order("ORD-R6-AFTER")
    ev.crm("ORD-R6-AFTER", at(22, 30), event_type="ticket_resolved", actor="agent:carol")


def test_r6_fires_and_resolves_when_the_order_is_delivered(marts):
    [div] = marts.divergences(
        "ORD-R6-EARLY", columns="rule, classification, status, resolved_at, expected_state, observed_state"
    )
    assert div == {
        "rule": "ticket_closed_before_order",
        "classification": "unknown",
        "status": "resolved",
        "resolved_at": utc(at(22)),
        "expected_state": "shipped",
        "observed_state": "ticket_resolved",
    }


def test_r6_agent_ticket_action_is_a_manual_override(marts):
    assert marts.divergences("ORD-R6-AGENT") == [
        row("ticket_closed_before_order", "manual_override", status="resolved")
    ]


def test_r6_ticket_after_delivery_does_not_fire(marts):
    assert marts.divergences("ORD-R6-AFTER") == []


# -- R7 status_reversal ---------------------------------------------------------------------------


@scenario
def r7_reversals(ev):
    awb = ev.order("ORD-R7-TWICE")
    ev.carrier(awb, "IN_TRANSIT", at(20, 30))
    ev.carrier(awb, "OFD", at(21))
    ev.carrier(awb, "IN_TRANSIT", at(21, 30))
    ev.carrier(awb, "OFD", at(21, 45))
    # Failed attempts, each followed by the next attempt: NDR -> OFD re-attempts (both rank 5), not reversals.
    awb = ev.order("ORD-R7-NDR")
    for hour in (20, 21):
        ev.carrier(awb, "NDR", at(hour, 15))
        ev.carrier(awb, "OFD", at(hour, 40))
    # After each failed attempt the carrier scans the parcel back in transit (rank 5 -> 4), twice within
    # 24 h. RULES.md exempts NDR -> OFD re-attempts, not a move down after an NDR: a reversal.
    awb = ev.order("ORD-R7-NDR-IN-TRANSIT")
    for hour in (20, 21):
        ev.carrier(awb, "NDR", at(hour, 15))
        ev.carrier(awb, "IN_TRANSIT", at(hour, 20))
        ev.carrier(awb, "OFD", at(hour, 40))
    # A single backward move.
    awb = ev.order("ORD-R7-ONCE")
    ev.carrier(awb, "IN_TRANSIT", at(20, 30))
    ev.carrier(awb, "OFD", at(21))
    # A support agent moves the CRM status back twice.
    ev.order("ORD-R7-MANUAL")
    ev.crm("ORD-R7-MANUAL", at(20, 30), "Shipped", actor="agent:dave")
    ev.crm("ORD-R7-MANUAL", at(20, 40), "Out for Delivery")
    ev.crm("ORD-R7-MANUAL", at(21), "In Transit", actor="agent:dave")
    ev.crm("ORD-R7-MANUAL", at(21, 10), "Out for Delivery")


def test_r7_fires_on_two_backward_moves_within_24h(marts):
    assert marts.divergences("ORD-R7-TWICE") == [row("status_reversal")]
    [div] = marts.divergences("ORD-R7-TWICE", columns="divergence_start, expected_state, observed_state, systems")
    assert div == {
        "divergence_start": utc(at(20, 30)),
        "expected_state": "out_for_delivery",
        "observed_state": "in_transit",
        "systems": "carrier",
    }


def test_r7_ndr_reattempts_are_not_reversals(marts):
    assert marts.divergences("ORD-R7-NDR") == []


def test_r7_moves_down_after_an_ndr_are_reversals(marts):
    assert marts.divergences("ORD-R7-NDR-IN-TRANSIT") == [row("status_reversal")]
    [div] = marts.divergences(
        "ORD-R7-NDR-IN-TRANSIT", columns="divergence_start, expected_state, observed_state, systems"
    )
    assert div == {
        "divergence_start": utc(at(20, 20)),
        "expected_state": "out_for_delivery",
        "observed_state": "in_transit",
        "systems": "carrier",
    }


def test_r7_one_backward_move_is_not_enough(marts):
    assert marts.divergences("ORD-R7-ONCE") == []


def test_r7_agent_moves_are_a_manual_override(marts):
    assert marts.divergences("ORD-R7-MANUAL") == [row("status_reversal", "manual_override")]


# -- R8 missing_in_system -------------------------------------------------------------------------

CRM_STEPS = {"crm:Order Placed", "crm:Shipped", "crm:In Transit", "crm:Out for Delivery", "crm:Delivered"}
ERP_STEPS = {"erp:INVOICED", "erp:REVENUE_RECOGNIZED"}


@scenario
def r8_missing(ev):
    ev.order("ORD-R8-NO-CRM", at(200, 7), skip=CRM_STEPS)
    ev.order("ORD-R8-CRM-LATE", skip={"crm:Order Placed", "crm:Shipped", "crm:In Transit"})
    ev.order("ORD-R8-CRM-INSIDE", skip={"crm:Order Placed", "crm:Shipped"}, times={"crm:In Transit": at(5, 59)})
    ev.order("ORD-R8-NO-ERP", skip=ERP_STEPS)


def test_r8_open_when_crm_never_heard_of_the_order(marts):
    assert marts.divergences("ORD-R8-NO-CRM") == [row("missing_in_system")]
    [div] = marts.divergences("ORD-R8-NO-CRM", columns="systems, owner_team, severity")
    # The only order created in its hour: 100 % of the bucket is affected, far above 5 %.
    assert div == {"systems": "oms,crm", "owner_team": "integrations", "severity": "high"}


def test_r8_resolved_when_crm_heard_late(marts):
    [div] = marts.divergences("ORD-R8-CRM-LATE", columns="rule, classification, status, resolved_at")
    assert div == {
        "rule": "missing_in_system",
        "classification": "sync_delay",
        "status": "resolved",
        "resolved_at": utc(at(20)),
    }


def test_r8_does_not_fire_inside_missing_after(marts):
    assert marts.divergences("ORD-R8-CRM-INSIDE") == []


def test_r8_no_erp_event_after_delivery_also_misses_revenue(marts):
    assert marts.divergences("ORD-R8-NO-ERP") == [row("missing_in_system"), row("revenue_not_recognized")]
    rows = marts.divergences("ORD-R8-NO-ERP", columns="rule, divergence_start, systems")
    assert rows[0] == {"rule": "missing_in_system", "divergence_start": utc(at(22)), "systems": "carrier,erp"}


@scenario
def r8_relative_to_as_of(ev):
    # CRM hears of both orders only an hour after as_of, which has not happened yet at as_of.
    for order_id, age in (
        ("ORD-R8-5H59", timedelta(hours=5, minutes=59)),
        ("ORD-R8-6H01", timedelta(hours=6, minutes=1)),
    ):
        ev.order(order_id, AS_OF - age, skip=CRM_STEPS)
        ev.crm(order_id, AS_OF + timedelta(hours=1), "Order Placed")


def test_r8_order_created_5h59_before_as_of_is_not_missing_yet(marts):
    assert marts.divergences("ORD-R8-5H59") == []


def test_r8_order_created_6h01_before_as_of_is_missing_and_a_later_event_does_not_resolve_it(marts):
    [div] = marts.divergences("ORD-R8-6H01", columns="rule, status, divergence_start, resolved_at, summary")
    assert div == {
        "rule": "missing_in_system",
        "status": "open",
        "divergence_start": utc(AS_OF - timedelta(hours=6, minutes=1)),
        "resolved_at": None,
        "summary": "The order was created at 2026-03-10 05:59 but CRM has no event for it yet (cause unknown).",
    }


@scenario
def r8_bucket_share(ev):
    # Ten orders created in one hour, one of them never reaches the CRM: 1 of 10 (10 %) of the hour's
    # orders is affected, above 5 %. In the same hour the CRM also saw ten older orders ship (19 keys).
    for k in range(10):
        ev.order(f"ORD-R8-SHARE-{k:02d}", at(60, k), skip=CRM_STEPS if k == 0 else ())
        ev.order(f"ORD-R8-BUSY-{k:02d}", at(58, k))
    # 1 of 21 orders created in the hour (4.8 %): not above 5 %, so severity comes from the exposure.
    for k in range(21):
        ev.order(f"ORD-R8-CROWD-{k:02d}", at(64, k), skip=CRM_STEPS if k == 0 else ())


def test_r8_share_is_of_the_orders_created_in_the_bucket(marts):
    assert marts.divergences("ORD-R8-SHARE-00") == [row("missing_in_system")]
    [div] = marts.rows(
        "select severity, affected_share from main.int_divergences_enriched where order_id = 'ORD-R8-SHARE-00'"
    )
    assert (div["severity"], float(div["affected_share"])) == ("high", 0.1)
    assert marts.divergences(*(f"ORD-R8-SHARE-{k:02d}" for k in range(1, 10))) == []


def test_r8_share_at_or_below_five_percent_keeps_the_exposure_severity(marts):
    [div] = marts.rows(
        "select rule, severity, affected_share from main.int_divergences_enriched where order_id = 'ORD-R8-CROWD-00'"
    )
    assert (div["rule"], div["severity"], round(float(div["affected_share"]), 4)) == (
        "missing_in_system",
        "medium",
        round(1 / 21, 4),
    )


# -- R9 orphan_record -----------------------------------------------------------------------------


@scenario
def r9_orphans(ev):
    ev.carrier("AWB-ORPHAN-OLD", "PICKUP", AS_OF - timedelta(hours=2, minutes=1), carrier="Ekart")
    ev.carrier("AWB-ORPHAN-NEW", "PICKUP", AS_OF - timedelta(hours=1, minutes=59), carrier="Ekart")
    ev.order("ORD-0009001", at(150))
    ev.payments("ord-0009001", "CAPTURED", at(150, 5), amount="1000.00", payment_id="PAY-DUP")
    ev.erp("ORD-GHOST", "INVOICED", at(150, 30), amount="7000.00")


def test_r9_orphan_awb_older_than_grace(marts):
    [div] = marts.divergences(
        "AWB-ORPHAN-OLD", columns="rule, classification, status, systems, carrier, owner_team, severity"
    )
    assert div == {
        "rule": "orphan_record",
        "classification": "unknown",
        "status": "open",
        "systems": "carrier,oms",
        "carrier": "Ekart",
        "owner_team": "integrations",
        "severity": "high",
    }


def test_r9_orphan_younger_than_grace_does_not_fire(marts):
    assert marts.divergences("AWB-ORPHAN-NEW") == []


def test_r9_orphan_id_of_a_real_order_in_another_spelling_is_a_mapping_error(marts):
    assert marts.divergences("ord-0009001") == [row("orphan_record", "mapping_error")]
    assert marts.divergences("ORD-0009001") == []


def test_r9_unknown_erp_order(marts):
    assert marts.divergences("ORD-GHOST") == [row("orphan_record")]


# -- R10 amount_mismatch --------------------------------------------------------------------------


@scenario
def r10_amounts(ev):
    ev.order("ORD-R10-DIFF")
    ev.payments("ORD-R10-DIFF", "CAPTURED", at(0, 1), amount="1100.00", payment_id="PAY-2")
    ev.order("ORD-R10-PENNY")
    ev.erp("ORD-R10-PENNY", "INVOICED", at(3), amount="1000.01", invoice_id="INV-2")
    ev.order("ORD-R10-PENNIES")
    ev.erp("ORD-R10-PENNIES", "INVOICED", at(3), amount="1000.02", invoice_id="INV-2")
    ev.order("ORD-R10-MINOR-UNITS")
    ev.payments("ORD-R10-MINOR-UNITS", "COD_COLLECTED", at(22, 5), amount="100000", payment_id="PAY-2")
    ev.order("ORD-R10-CURRENCY")
    ev.erp("ORD-R10-CURRENCY", "INVOICED", at(3), amount="1000.00", currency="USD", invoice_id="INV-2")


def test_r10_fires_on_a_different_amount(marts):
    assert marts.divergences("ORD-R10-DIFF") == [row("amount_mismatch")]
    [div] = marts.divergences("ORD-R10-DIFF", columns="exposure_amount, severity, expected_state, observed_state")
    assert float(div["exposure_amount"]) == 100.0
    assert div["severity"] == "low"
    assert (div["expected_state"], div["observed_state"]) == ("INR 1000.00", "INR 1100.00")


def test_r10_one_cent_is_within_tolerance_two_are_not(marts):
    assert marts.divergences("ORD-R10-PENNY") == []
    assert marts.divergences("ORD-R10-PENNIES") == [row("amount_mismatch")]


def test_r10_hundred_times_the_amount_is_a_mapping_error(marts):
    assert marts.divergences("ORD-R10-MINOR-UNITS") == [row("amount_mismatch", "mapping_error")]


def test_r10_other_currency_is_a_mapping_error(marts):
    [div] = marts.divergences("ORD-R10-CURRENCY", columns="rule, classification, owner_team, exposure_amount")
    assert div["rule"] == "amount_mismatch"
    assert div["classification"] == "mapping_error"
    assert div["owner_team"] == "integrations"
    assert float(div["exposure_amount"]) == 1000.0


# -- R11 overdue_unfulfilled ----------------------------------------------------------------------


def _stuck_in_transit(ev, order_id, promised_by, **created):
    ev.order(order_id, skip=FROM_OFD, promised_by=promised_by, **created)


@scenario
def r11_overdue(ev):
    _stuck_in_transit(ev, "ORD-R11-OPEN", at(72))
    _stuck_in_transit(ev, "ORD-R11-NOT-YET", AS_OF + timedelta(hours=1))
    ev.order("ORD-R11-LATE", promised_by=at(21))
    _stuck_in_transit(ev, "ORD-R11-3P-INSIDE", AS_OF - timedelta(hours=47), vendor_type="3p")
    _stuck_in_transit(ev, "ORD-R11-3P-OUTSIDE", AS_OF - timedelta(hours=49), vendor_type="3p")
    ev.order("ORD-R11-CANCELLED", skip=FROM_SHIPPING, promised_by=at(72))
    ev.oms("ORD-R11-CANCELLED", "CANCELLED", at(3))
    ev.crm("ORD-R11-CANCELLED", at(3), "Cancelled")
    _stuck_in_transit(ev, "ORD-R11-REFUNDED", at(72))
    ev.payments("ORD-R11-REFUNDED", "REFUNDED", at(80), amount="1000.00")


def test_r11_open_past_promised_by(marts):
    assert marts.divergences("ORD-R11-OPEN") == [row("overdue_unfulfilled")]
    [div] = marts.divergences("ORD-R11-OPEN", columns="divergence_start, cluster_id")
    assert div["divergence_start"] == utc(at(72))


def test_r11_not_before_promised_by(marts):
    assert marts.divergences("ORD-R11-NOT-YET") == []


def test_r11_late_delivery_resolves_it(marts):
    [div] = marts.divergences("ORD-R11-LATE", columns="rule, status, resolved_at")
    assert div == {"rule": "overdue_unfulfilled", "status": "resolved", "resolved_at": utc(at(22))}


def test_r11_3p_order_inside_its_sla_is_informational(marts):
    assert marts.divergences("ORD-R11-3P-INSIDE") == [
        row("overdue_unfulfilled", queue="informational", queue_reason="3p_vendor_sla")
    ]


def test_r11_3p_order_outside_its_sla_is_action(marts):
    assert marts.divergences("ORD-R11-3P-OUTSIDE") == [row("overdue_unfulfilled")]


def test_r11_cancelled_order_is_informational(marts):
    assert marts.divergences("ORD-R11-CANCELLED") == [
        row("overdue_unfulfilled", queue="informational", queue_reason="cancelled")
    ]


def test_r11_fully_refunded_order_is_informational_but_the_refund_itself_is_r5(marts):
    assert marts.divergences("ORD-R11-REFUNDED") == [
        row("overdue_unfulfilled", queue="informational", queue_reason="fully_refunded"),
        row("refund_before_return"),
    ]


# -- as_of: an event after it has not happened yet ------------------------------------------------

MINUTE = timedelta(minutes=1)


@scenario
def events_after_as_of(ev):
    start = AS_OF - timedelta(hours=30)
    # OMS and CRM go out for delivery 10 h before as_of (delivered 8 h before) while the carrier still
    # shows in transit. Its DLVD lands one minute after as_of and its OFD 20 min after: at as_of the
    # conflict is still open and there is no delivered-before-out-for-delivery inversion (R2).
    ev.order("ORD-ASOF-R1", start, times={"carrier:DLVD": AS_OF + MINUTE, "carrier:OFD": AS_OF + 20 * MINUTE})
    # Delivered 23 h 59 min before as_of; ERP recognizes revenue an hour after as_of: not due yet.
    delivered = AS_OF - timedelta(hours=23, minutes=59)
    ev.order(
        "ORD-ASOF-R4-INSIDE", delivered - timedelta(hours=22), times={"erp:REVENUE_RECOGNIZED": AS_OF + 60 * MINUTE}
    )
    # Delivered 24 h 01 min before as_of, same late revenue: overdue and still open at as_of.
    delivered = AS_OF - timedelta(hours=24, minutes=1)
    ev.order("ORD-ASOF-R4-PAST", delivered - timedelta(hours=22), times={"erp:REVENUE_RECOGNIZED": AS_OF + 60 * MINUTE})
    # Promised an hour before as_of, delivered an hour after: overdue and open at as_of.
    late = AS_OF + 60 * MINUTE
    ev.order(
        "ORD-ASOF-R11",
        start,
        promised_by=AS_OF - 60 * MINUTE,
        times={"carrier:DLVD": late, "oms:DELIVERED": late, "crm:Delivered": late, "erp:REVENUE_RECOGNIZED": late},
    )
    # Overdue in transit; the OMS cancels it, or payments refund it in full, a minute after as_of: at as_of
    # the order is neither cancelled nor refunded, so the R11 is an action (and there is no R5 yet).
    for order_id in ("ORD-ASOF-CANCELLED-LATER", "ORD-ASOF-REFUNDED-LATER"):
        ev.order(order_id, start, skip=FROM_OFD, promised_by=AS_OF - 60 * MINUTE)
    ev.oms("ORD-ASOF-CANCELLED-LATER", "CANCELLED", AS_OF + MINUTE)
    ev.payments("ORD-ASOF-REFUNDED-LATER", "REFUNDED", AS_OF + MINUTE, amount="1000.00")
    # The carrier has tracked an awb for 3 h that the OMS assigns to an order only after as_of: an orphan.
    ev.carrier("AWB-ASOF-ORPHAN", "PICKUP", AS_OF - 3 * 60 * MINUTE)
    ev.order("ORD-ASOF-ORPHAN-OWNER", AS_OF - 60 * MINUTE, awb="AWB-ASOF-ORPHAN", times={"oms:SHIPPED": AS_OF + MINUTE})


def test_a_carrier_delivery_after_as_of_neither_resolves_r1_nor_starts_r2(marts):
    assert marts.divergences("ORD-ASOF-R1") == [row("delivery_status_conflict")]
    [div] = marts.divergences(
        "ORD-ASOF-R1", columns="divergence_start, resolved_at, expected_state, observed_state, summary"
    )
    assert div == {
        "divergence_start": utc(AS_OF - timedelta(hours=10)),
        "resolved_at": None,
        "expected_state": "in_transit",
        "observed_state": "out_for_delivery",
        "summary": "Carrier shows in transit since 2026-03-10 02:00; OMS still shows out for delivery 10 h later"
        " (cause unknown).",
    }
    [state] = marts.rows(
        "select carrier_state, owner_delivery_phase, delivered_at, is_in_agreement from main.fct_order_state"
        " where order_id = 'ORD-ASOF-R1'"
    )
    assert state == {
        "carrier_state": "in_transit",
        "owner_delivery_phase": "in_transit",
        "delivered_at": utc(AS_OF - timedelta(hours=8)),  # the OMS's: the carrier's DLVD has not happened
        "is_in_agreement": False,
    }


def test_r4_delivered_23h59_before_as_of_is_not_due_yet(marts):
    assert marts.divergences("ORD-ASOF-R4-INSIDE") == []


def test_r4_revenue_after_as_of_leaves_it_open(marts):
    [div] = marts.divergences("ORD-ASOF-R4-PAST", columns="rule, status, resolved_at")
    assert div == {"rule": "revenue_not_recognized", "status": "open", "resolved_at": None}


def test_r11_delivery_after_as_of_leaves_it_open(marts):
    [div] = marts.divergences("ORD-ASOF-R11", columns="rule, status, resolved_at, summary")
    assert div == {
        "rule": "overdue_unfulfilled",
        "status": "open",
        "resolved_at": None,
        "summary": "Promised by 2026-03-10 11:00; not delivered yet (cause unknown).",
    }


def test_a_cancellation_or_refund_after_as_of_does_not_make_it_informational(marts):
    assert marts.divergences("ORD-ASOF-CANCELLED-LATER") == [row("overdue_unfulfilled")]
    assert marts.divergences("ORD-ASOF-REFUNDED-LATER") == [row("overdue_unfulfilled")]


def test_an_awb_the_oms_assigns_after_as_of_is_an_orphan_at_as_of(marts):
    assert marts.divergences("AWB-ASOF-ORPHAN") == [row("orphan_record")]
    assert marts.divergences("ORD-ASOF-ORPHAN-OWNER") == []


# -- mart-wide invariants -------------------------------------------------------------------------


def test_every_rule_fired_somewhere(marts):
    rules = {r["rule"] for r in marts.rows("select distinct rule from main.fct_divergences")}
    assert rules == {
        "delivery_status_conflict",
        "timeline_sequence_error",
        "rto_without_ndr",
        "revenue_not_recognized",
        "refund_before_return",
        "ticket_closed_before_order",
        "status_reversal",
        "missing_in_system",
        "orphan_record",
        "amount_mismatch",
        "overdue_unfulfilled",
    }


def test_nothing_starts_or_resolves_after_as_of(marts):
    late = marts.rows(
        "select order_id, rule, divergence_start, resolved_at from main.fct_divergences"
        " where divergence_start > ? or resolved_at > ?",
        utc(AS_OF),
        utc(AS_OF),
    )
    assert late == []


def test_fct_divergences_has_exactly_the_interface_columns(marts):
    columns = [
        r["column_name"]
        for r in marts.rows(
            "select column_name from information_schema.columns where table_schema = 'main'"
            " and table_name = 'fct_divergences' order by ordinal_position"
        )
    ]
    assert columns == [
        "divergence_id",
        "order_id",
        "rule",
        "classification",
        "queue",
        "queue_reason",
        "status",
        "divergence_start",
        "resolved_at",
        "systems",
        "expected_state",
        "observed_state",
        "owner_team",
        "severity",
        "sla_due_at",
        "exposure_amount",
        "currency",
        "carrier",
        "zone",
        "region",
        "warehouse_id",
        "sku_category",
        "payment_mode",
        "vendor_type",
        "cluster_id",
        "summary",
    ]
