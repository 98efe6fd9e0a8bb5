"""R11 overdue_unfulfilled: past promised_by, not delivered and not returning. Also the cancelled orders,
which RULES.md keeps firing into the informational view."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.flows import Plan
from dagster_project.simulator.labels import INFO, MAPPING, RESOLVED, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario
from dagster_project.simulator.timeline import last_second_of_hour
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE, PREPAID, V1P, V3P


def _stall(
    ctx: FaultContext,
    idx: np.ndarray,
    cut: np.ndarray,
    promise: np.ndarray,
    lo: int,
    hi: int,
    burst: float = 0.0,
) -> np.ndarray:
    """Nothing happens after `cut`; the order was promised for `promise`, placed lo..hi before as_of.
    Returns promised_by."""
    tl = ctx.tl
    tl.clear_after(idx, cut)
    tl.put("promised_by", idx, last_second_of_hour(promise))
    ctx.place(idx, tl.at("promised_by", idx), lo, hi, burst)
    return tl.at("promised_by", idx)


def _stall_in_transit(ctx: FaultContext, idx: np.ndarray, lo: int, hi: int, burst: float = 0.0) -> np.ndarray:
    """The parcel never goes out for delivery (lost at a hub); it was promised 12 h-3 days after its last
    scan."""
    tl = ctx.tl
    last_scan = np.maximum(tl.at("c_pickup", idx), tl.at("c_in_transit", idx))
    promise = last_scan + ctx.u(12 * HOUR, 3 * DAY, len(idx))
    return _stall(ctx, idx, tl.at("c_ofd0", idx) - 1, promise, lo, hi, burst)


def stuck_in_transit(ctx: FaultContext, idx: np.ndarray) -> None:
    _stall_in_transit(ctx, idx, 6 * HOUR, 15 * DAY, burst=0.3)
    ctx.label(idx, "R11", UNKNOWN)


def stuck_tracking_dropped(ctx: FaultContext, idx: np.ndarray) -> None:
    promised = _stall_in_transit(ctx, idx, 6 * HOUR, 15 * DAY)
    calls_at = promised + ctx.u(-20 * MINUTE, 20 * MINUTE, len(idx))
    ctx.failed_calls(idx, calls_at, "carrier", "oms", dropped=True)
    ctx.label(idx, "R11", SYNC)


def lost_and_refunded(ctx: FaultContext, idx: np.ndarray) -> None:
    """Lost in transit; days after the promise the gateway refunds in full (R5: no return, no cancellation),
    which makes the overdue order informational."""
    promised = _stall_in_transit(ctx, idx, 5 * DAY, 15 * DAY)
    refunded = promised + ctx.u(DAY, 3 * DAY, len(idx))
    ctx.emit("payments", idx, refunded, "REFUNDED", "system")
    ctx.emit("crm", idx, refunded + ctx.u(5 * MINUTE, HOUR, len(idx)), "Refunded", "api:oms_sync")
    ctx.label(idx, "R11", UNKNOWN, queue=INFO)
    ctx.label(idx, "R5", UNKNOWN)


def _vendor_not_shipped(ctx: FaultContext, idx: np.ndarray, lo: int, hi: int) -> None:
    """A 3p vendor has not shipped: only creation, confirmation, payment and the CRM's first update exist."""
    tl = ctx.tl
    first_events = ("created", "oms_confirmed", "crm_placed", "pay_captured")
    last = np.maximum.reduce([tl.at(c, idx) for c in first_events])
    _stall(ctx, idx, last, tl.at("created", idx) + ctx.u(2 * DAY, 5 * DAY, len(idx)), lo, hi)


def vendor_within_sla(ctx: FaultContext, idx: np.ndarray) -> None:
    _vendor_not_shipped(ctx, idx, 4 * HOUR, 40 * HOUR)
    ctx.label(idx, "R11", UNKNOWN, queue=INFO)


def vendor_sla_breached(ctx: FaultContext, idx: np.ndarray) -> None:
    _vendor_not_shipped(ctx, idx, 60 * HOUR, 15 * DAY)
    ctx.label(idx, "R11", UNKNOWN)


def _retries(plan: Plan, idx: np.ndarray, rng: np.random.Generator) -> None:
    plan.n_fail[idx] = rng.integers(1, 3, len(idx))


def delivered_late(ctx: FaultContext, idx: np.ndarray) -> None:
    """Failed attempts push delivery 6-40 h past the promise: overdue until delivered (resolved)."""
    tl = ctx.tl
    ctx.place(idx, tl.at("c_dlvd", idx), 6 * HOUR, 20 * DAY)
    late = tl.at("c_dlvd", idx) - ctx.u(7 * HOUR, 40 * HOUR, len(idx))
    promise = np.maximum(late, tl.at("created", idx) + 6 * HOUR)
    tl.put("promised_by", idx, last_second_of_hour(promise))
    ctx.label(idx, "R11", UNKNOWN, RESOLVED)


def delivered_code_unmapped(ctx: FaultContext, idx: np.ndarray) -> None:
    """Delivered after the promise, but as DELIVERED_OK, which nobody maps: OMS and CRM stay out for
    delivery, the carrier's mapped phase too; nothing counts as delivered."""
    tl, n = ctx.tl, len(idx)
    delivered = tl.at("c_dlvd", idx)
    tl.put("promised_by", idx, last_second_of_hour(delivered - ctx.u(HOUR, 5 * HOUR, n)))
    delta = ctx.place(idx, tl.at("promised_by", idx), 8 * HOUR, 15 * DAY)
    tl.clear(idx, "c_dlvd", "oms_dlvd", "crm_dlvd", "il_webhook", "pay_cod", "erp_revenue")
    ctx.emit("carrier", idx, delivered + delta, "DELIVERED_OK", "api:tracking_push", slot=0)
    ctx.label(idx, "R11", MAPPING)


def cancelled(ctx: FaultContext, idx: np.ndarray) -> None:
    """Clean cancellations; once their promise has passed, R11 reports them in the informational view."""
    overdue = idx[ctx.tl.at("promised_by", idx) < ctx.as_of]
    ctx.label(overdue, "R11", UNKNOWN, queue=INFO)


_1P = {"vendor": V1P}

SCENARIOS = (
    Scenario("r11_stuck_in_transit", 0.0015, dims=_1P, apply=stuck_in_transit),
    Scenario("r11_stuck_tracking_dropped", 0.0005, dims=_1P, apply=stuck_tracking_dropped),
    Scenario(
        "r11_lost_and_refunded",
        0.0006,
        dims={"vendor": V1P, "payment_mode": PREPAID},
        apply=lost_and_refunded,
    ),
    Scenario("r11_vendor_within_sla", 0.0008, dims={"vendor": V3P}, apply=vendor_within_sla),
    Scenario("r11_vendor_sla_breached", 0.0006, dims={"vendor": V3P}, apply=vendor_sla_breached),
    Scenario("r11_delivered_late", 0.0008, dims=_1P, plan=_retries, apply=delivered_late),
    Scenario("r11_delivered_code_unmapped", 0.0005, dims=_1P, apply=delivered_code_unmapped),
)
