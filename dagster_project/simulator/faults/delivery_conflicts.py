"""R1 delivery_status_conflict: the OMS, CRM and carrier disagree on the delivery phase for over 2 h."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.events import AGENT
from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.labels import INFO, MANUAL, MAPPING, RESOLVED, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario, plan_dwell
from dagster_project.simulator.timeline import last_second_of_hour
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE, PREPAID


def _mirror_lost(ctx: FaultContext, idx: np.ndarray, resync: bool) -> None:
    """The carrier's delivered webhook fails and is dropped; a resync job may catch the OMS up hours later."""
    tl, n = ctx.tl, len(idx)
    delivered = tl.at("c_dlvd", idx)
    ctx.failed_calls(idx, delivered + ctx.u(2, 20, n), "carrier", "oms", dropped=True)
    tl.clear(idx, "il_webhook", "oms_dlvd", "crm_dlvd")
    if resync:
        late = delivered + ctx.u(3 * HOUR, 8 * HOUR, n)
        ctx.emit("oms", idx, late, "DELIVERED", "batch:tracking_resync")
        ctx.emit("crm", idx, late + ctx.u(MINUTE, 15 * MINUTE, n), "Delivered", "api:oms_sync")


def webhook_outage(ctx: FaultContext, idx: np.ndarray) -> None:
    ctx.place(idx, ctx.tl.at("c_dlvd", idx), 12 * HOUR, 20 * DAY, burst=1.0)
    _mirror_lost(ctx, idx, resync=True)
    ctx.label(idx, "R1", SYNC, RESOLVED)


def webhook_dropped(ctx: FaultContext, idx: np.ndarray) -> None:
    ctx.place(idx, ctx.tl.at("c_dlvd", idx), 4 * HOUR, 20 * DAY)
    _mirror_lost(ctx, idx, resync=False)
    ctx.label(idx, "R1", SYNC)


def oms_stuck(ctx: FaultContext, idx: np.ndarray) -> None:
    """The OMS (and the CRM it feeds) never hears of the delivery run, and nothing logs why."""
    ctx.place(idx, ctx.tl.at("c_ofd0", idx), 6 * HOUR, 20 * DAY)
    ctx.tl.clear(idx, "oms_ofd", "crm_ofd", "oms_dlvd", "crm_dlvd", "il_webhook")
    ctx.label(idx, "R1", UNKNOWN)


def agent_marks_delivered(ctx: FaultContext, idx: np.ndarray) -> None:
    """A support agent sets CRM to Delivered while the parcel is still out; the carrier delivers hours
    later."""
    ctx.place(idx, ctx.tl.at("c_dlvd", idx), 12 * HOUR, 20 * DAY)
    marked = ctx.tl.at("crm_ofd", idx) + ctx.u(40 * MINUTE, 70 * MINUTE, len(idx))
    ctx.emit("crm", idx, marked, "Delivered", AGENT)
    ctx.label(idx, "R1", MANUAL, RESOLVED)


def agent_marks_return(ctx: FaultContext, idx: np.ndarray) -> None:
    """Days after delivery an agent sets CRM to Return Initiated by mistake; nothing ever corrects it."""
    marked = ctx.tl.at("crm_dlvd", idx) + ctx.u(DAY, 3 * DAY, len(idx))
    marked = marked + ctx.place(idx, marked, 6 * HOUR, 20 * DAY)
    ctx.emit("crm", idx, marked, "Return Initiated", AGENT)
    ctx.label(idx, "R1", MANUAL)


def unmapped_delivered_code(ctx: FaultContext, idx: np.ndarray) -> None:
    """After a carrier API change, deliveries arrive as DELIVERED_OK: OMS and CRM understand it, the status
    map does not, so the carrier's latest mapped phase stays out_for_delivery. Recent: an ongoing incident."""
    tl = ctx.tl
    ctx.place(idx, tl.at("oms_dlvd", idx), 5 * HOUR, 30 * HOUR, burst=1.0)
    delivered = tl.at("c_dlvd", idx)
    tl.clear(idx, "c_dlvd")
    ctx.emit("carrier", idx, delivered, "DELIVERED_OK", "api:tracking_push", slot=0)
    # Still inside its promise, so R11 cannot fire whichever system is read as "delivered".
    promise = last_second_of_hour(ctx.as_of + ctx.u(6 * HOUR, 72 * HOUR, len(idx)))
    tl.put("promised_by", idx, np.maximum(tl.at("promised_by", idx), promise))
    ctx.label(idx, "R1", MAPPING)


def cancelled_in_transit(ctx: FaultContext, idx: np.ndarray) -> None:
    """The customer cancels while the parcel travels; the cancellation never reaches the carrier, which
    delivers anyway. OMS/CRM say cancelled, the carrier delivered (R1), and the ERP issues a credit note
    instead of recognising revenue (R4). Both informational: the order is cancelled."""
    tl, n = ctx.tl, len(idx)
    ctx.place(idx, tl.at("c_dlvd", idx), 30 * HOUR, 20 * DAY)
    pickup, out = tl.at("c_pickup", idx), tl.at("c_ofd0", idx)
    share = ctx.rng.uniform(0.1, 0.9, n)
    cancel = pickup + 30 * MINUTE + ((out - pickup - 90 * MINUTE) * share).astype(np.int64)
    tl.clear(idx, "oms_ofd", "oms_dlvd", "crm_ofd", "crm_dlvd", "erp_revenue")
    ctx.emit("oms", idx, cancel, "CANCELLED", "api:storefront")
    ctx.emit("crm", idx, cancel + ctx.u(MINUTE, 15 * MINUTE, n), "Cancelled", "api:oms_sync")
    refund = cancel + ctx.u(5 * MINUTE, 2 * HOUR, n)
    tl.put("pay_refund_init", idx, refund)
    tl.put("pay_refunded", idx, refund + ctx.u(DAY, 3 * DAY, n))
    tl.put("crm_refunded", idx, tl.at("pay_refunded", idx) + ctx.u(5 * MINUTE, HOUR, n))
    tl.put("erp_credit_note", idx, cancel + ctx.u(2 * HOUR, 20 * HOUR, n))
    ctx.label(idx, "R1", UNKNOWN, queue=INFO)
    ctx.label(idx, "R4", UNKNOWN, queue=INFO)


SCENARIOS = (
    Scenario("r1_webhook_outage", 0.0035, apply=webhook_outage),
    Scenario("r1_webhook_dropped", 0.0012, apply=webhook_dropped),
    Scenario("r1_oms_stuck", 0.0012, apply=oms_stuck),
    Scenario(
        "r1_agent_marks_delivered",
        0.0008,
        plan=plan_dwell(270 * MINUTE, 8 * HOUR),
        apply=agent_marks_delivered,
    ),
    Scenario("r1_agent_marks_return", 0.0008, apply=agent_marks_return),
    Scenario("r1_unmapped_delivered_code", 0.002, apply=unmapped_delivered_code),
    Scenario("r1_cancelled_in_transit", 0.0008, dims={"payment_mode": PREPAID}, apply=cancelled_in_transit),
)
