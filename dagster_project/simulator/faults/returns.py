"""R3 rto_without_ndr (a return to origin with no failed attempt before it) and R5 refund_before_return
(money goes back while the order is neither cancelled nor returned)."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.events import AGENT
from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.flows import Plan
from dagster_project.simulator.labels import INFO, MANUAL, MAPPING, RESOLVED, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario
from dagster_project.simulator.vocab import COD, DAY, HOUR, MINUTE, PREPAID


def _place_rto(ctx: FaultContext, idx: np.ndarray, lo: int = 4 * HOUR, hi: int = 20 * DAY) -> np.ndarray:
    ctx.place(idx, ctx.tl.at("c_rto_init", idx), lo, hi)
    return ctx.tl.at("c_rto_init", idx)


def rto_without_attempt(ctx: FaultContext, idx: np.ndarray) -> None:
    """The shipper recalls the parcel from transit: RTO with no NDR. COD, so nothing is refunded."""
    _place_rto(ctx, idx)
    ctx.label(idx, "R3", UNKNOWN)


def rto_without_attempt_refunded(ctx: FaultContext, idx: np.ndarray) -> None:
    """The same recall on a prepaid order, long enough ago that the full refund went through."""
    _place_rto(ctx, idx, 12 * DAY, 20 * DAY)
    ctx.label(idx, "R3", UNKNOWN, queue=INFO)


def rto_request_dropped(ctx: FaultContext, idx: np.ndarray) -> None:
    rto = _place_rto(ctx, idx)
    ctx.failed_calls(idx, rto + ctx.u(-20 * MINUTE, 20 * MINUTE, len(idx)), "oms", "carrier", dropped=True)
    ctx.label(idx, "R3", SYNC)


def _one_failed_attempt(plan: Plan, idx: np.ndarray, rng: np.random.Generator) -> None:
    plan.n_fail[idx] = 1


def refusal_unmapped(ctx: FaultContext, idx: np.ndarray) -> None:
    """The carrier reports the refused attempt as CUSTOMER_REFUSED (unmapped) instead of NDR, minutes
    before the RTO: mapped data shows no NDR before the RTO."""
    rto = _place_rto(ctx, idx)
    ctx.tl.clear(idx, "c_ndr0")
    ctx.emit(
        "carrier",
        idx,
        rto - ctx.u(5 * MINUTE, 25 * MINUTE, len(idx)),
        "CUSTOMER_REFUSED",
        "api:tracking_push",
        slot=0,
    )
    ctx.label(idx, "R3", MAPPING)


def _refund(ctx: FaultContext, idx: np.ndarray, t: np.ndarray, actor: str, amount: np.ndarray) -> None:
    """A single REFUNDED (instant refund; one payment event, so one R5 divergence) and CRM's mirror."""
    ctx.emit("payments", idx, t, "REFUNDED", actor, amount=amount)
    ctx.emit("crm", idx, t + ctx.u(5 * MINUTE, HOUR, len(idx)), "Refunded", "api:oms_sync")


def _refund_after_delivery(ctx: FaultContext, idx: np.ndarray, actor: str) -> np.ndarray:
    """A full or partial refund 1-5 days after delivery, with no return."""
    n = len(idx)
    t = ctx.tl.at("c_dlvd", idx) + ctx.u(DAY, 5 * DAY, n)
    t = t + ctx.place(idx, t, 4 * HOUR, 20 * DAY)
    share = np.where(ctx.rng.random(n) < 0.5, 1.0, ctx.rng.uniform(0.2, 0.9, n))
    _refund(ctx, idx, t, actor, (ctx.orders.amount[idx] * share).astype(np.int64))
    return t


def agent_refund(ctx: FaultContext, idx: np.ndarray) -> None:
    _refund_after_delivery(ctx, idx, AGENT)
    ctx.label(idx, "R5", MANUAL)


def agent_requested_refund(ctx: FaultContext, idx: np.ndarray) -> None:
    """An agent files refund_requested in CRM; the refund service pays out within the day."""
    t = _refund_after_delivery(ctx, idx, "api:refund_service")
    ctx.emit("crm", idx, t - ctx.u(HOUR, 20 * HOUR, len(idx)), None, AGENT, etype="refund_requested")
    ctx.label(idx, "R5", MANUAL)


def auto_refund(ctx: FaultContext, idx: np.ndarray) -> None:
    _refund_after_delivery(ctx, idx, "system")
    ctx.label(idx, "R5", UNKNOWN)


def refund_call_retried(ctx: FaultContext, idx: np.ndarray) -> None:
    t = _refund_after_delivery(ctx, idx, "api:refund_service")
    ctx.failed_calls(idx, t + ctx.u(-20 * MINUTE, 20 * MINUTE, len(idx)), "oms", "payments", dropped=False)
    ctx.label(idx, "R5", SYNC)


def refund_on_unmapped_return(ctx: FaultContext, idx: np.ndarray) -> None:
    """The OMS books the returned parcel under its new status RETURN_RECEIVED (unmapped) and the refund
    fires minutes later; the carrier and the warehouse never confirm the return, so no mapped state shows
    it."""
    tl, n = ctx.tl, len(idx)
    received = tl.at("c_rto_dlvd", idx) + ctx.u(10 * MINUTE, 8 * HOUR, n)
    refund = received + ctx.u(5 * MINUTE, 25 * MINUTE, n)
    delta = ctx.place(idx, refund, 4 * HOUR, 20 * DAY)
    tl.clear(
        idx,
        "c_rto_dlvd",
        "oms_rto_dlvd",
        "crm_rto_dlvd",
        "wms_rto_received",
        *_BASE_REFUND,
        "erp_credit_note",
    )
    ctx.emit("oms", idx, received + delta, "RETURN_RECEIVED", "api:wms")
    _refund(ctx, idx, refund + delta, "api:refund_service", ctx.orders.amount[idx])
    ctx.label(idx, "R5", MAPPING)


def refund_on_rto_start(ctx: FaultContext, idx: np.ndarray) -> None:
    """The gateway refunds as soon as the RTO starts, days before the parcel is back: premature until the
    return lands (resolved then)."""
    tl, n = ctx.tl, len(idx)
    ctx.place(idx, tl.at("oms_rto_dlvd", idx), DAY, 15 * DAY)
    tl.clear(idx, *_BASE_REFUND)
    _refund(ctx, idx, tl.at("c_rto_init", idx) + ctx.u(HOUR, DAY, n), "system", ctx.orders.amount[idx])
    ctx.label(idx, "R5", UNKNOWN, RESOLVED)


_BASE_REFUND = ("pay_refund_init", "pay_refunded", "crm_refunded")
_COD = {"payment_mode": COD}
_PREPAID = {"payment_mode": PREPAID}

SCENARIOS = (
    Scenario("r3_rto_without_attempt", 0.0008, "rto_no_ndr", _COD, apply=rto_without_attempt),
    Scenario(
        "r3_rto_without_attempt_refunded",
        0.0006,
        "rto_no_ndr",
        _PREPAID,
        apply=rto_without_attempt_refunded,
    ),
    Scenario("r3_rto_request_dropped", 0.0005, "rto_no_ndr", _COD, apply=rto_request_dropped),
    Scenario("r3_refusal_unmapped", 0.0006, "rto", _COD, plan=_one_failed_attempt, apply=refusal_unmapped),
    Scenario("r5_agent_refund", 0.0008, apply=agent_refund),
    Scenario("r5_agent_requested_refund", 0.0006, apply=agent_requested_refund),
    Scenario("r5_auto_refund", 0.0008, apply=auto_refund),
    Scenario("r5_refund_call_retried", 0.0005, apply=refund_call_retried),
    Scenario("r5_refund_on_unmapped_return", 0.0005, "rto", _PREPAID, apply=refund_on_unmapped_return),
    Scenario("r5_refund_on_rto_start", 0.0006, "rto", _PREPAID, apply=refund_on_rto_start),
)
