"""R4 revenue_not_recognized (no revenue 24 h after delivery) and R10 amount_mismatch (invoice or capture
differs from the order amount)."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.events import AGENT
from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.labels import INFO, MANUAL, MAPPING, RESOLVED, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE, PREPAID, USD, USD_RATE


def _delivered_long_ago(ctx: FaultContext, idx: np.ndarray, lo: int = 30 * HOUR) -> np.ndarray:
    ctx.place(idx, ctx.tl.at("c_dlvd", idx), lo, 20 * DAY)
    return ctx.tl.at("c_dlvd", idx)


def revenue_late(ctx: FaultContext, idx: np.ndarray) -> None:
    delivered = _delivered_long_ago(ctx, idx, 3 * DAY)
    ctx.tl.put("erp_revenue", idx, delivered + ctx.u(26 * HOUR, 60 * HOUR, len(idx)))
    ctx.label(idx, "R4", SYNC, RESOLVED)


def revenue_missing(ctx: FaultContext, idx: np.ndarray) -> None:
    _delivered_long_ago(ctx, idx)
    ctx.tl.clear(idx, "erp_revenue")
    ctx.label(idx, "R4", UNKNOWN)


def delivery_confirmation_dropped(ctx: FaultContext, idx: np.ndarray) -> None:
    delivered = _delivered_long_ago(ctx, idx)
    ctx.tl.clear(idx, "erp_revenue")
    ctx.failed_calls(idx, delivered + ctx.u(MINUTE, 20 * MINUTE, len(idx)), "carrier", "erp", dropped=True)
    ctx.label(idx, "R4", SYNC)


def revenue_code_unmapped(ctx: FaultContext, idx: np.ndarray) -> None:
    """The ERP posts revenue under a new code REV_RECOGNISED that the status map does not know."""
    delivered = _delivered_long_ago(ctx, idx)
    ctx.tl.clear(idx, "erp_revenue")
    ctx.emit(
        "erp",
        idx,
        delivered + ctx.u(HOUR, 12 * HOUR, len(idx)),
        "REV_RECOGNISED",
        "batch:revenue_recognition",
    )
    ctx.label(idx, "R4", MAPPING)


def refunded_without_revenue(ctx: FaultContext, idx: np.ndarray) -> None:
    """A complaint after delivery: an agent requests a full refund, finance books a credit note and never
    recognises revenue. R4 is informational (fully refunded); the refund itself is R5, by the agent."""
    tl, n = ctx.tl, len(idx)
    delivered = _delivered_long_ago(ctx, idx)
    opened = delivered + ctx.u(HOUR, 6 * HOUR, n)
    requested = opened + ctx.u(10 * MINUTE, 2 * HOUR, n)
    refunded = requested + ctx.u(30 * MINUTE, 6 * HOUR, n)
    ctx.emit("crm", idx, opened, None, "api:app", etype="ticket_opened", ticket=0)
    ctx.emit("crm", idx, requested, None, AGENT, etype="refund_requested")
    ctx.emit("payments", idx, refunded, "REFUNDED", "api:refund_service")
    ctx.emit("crm", idx, refunded + ctx.u(5 * MINUTE, HOUR, n), "Refunded", "api:oms_sync")
    ctx.emit("crm", idx, refunded + ctx.u(HOUR, 3 * HOUR, n), None, AGENT, etype="ticket_resolved", ticket=0)
    tl.clear(idx, "erp_revenue")
    ctx.emit("erp", idx, refunded + ctx.u(HOUR, 10 * HOUR, n), "CREDIT_NOTE", "batch:erp_invoicing")
    ctx.label(idx, "R4", UNKNOWN, queue=INFO)
    ctx.label(idx, "R5", MANUAL)


def _reissue(
    ctx: FaultContext,
    idx: np.ndarray,
    column: str,
    system: str,
    status: str,
    **fields,
) -> np.ndarray:
    """Replace the order's `column` event by one with other money fields, at the same time."""
    ctx.place(idx, ctx.tl.at(column, idx), 4 * HOUR, 20 * DAY)
    t = ctx.tl.at(column, idx)
    ctx.tl.clear(idx, column)
    ctx.emit(system, idx, t, status, "batch:erp_invoicing" if system == "erp" else "api:checkout", **fields)
    return t


def invoiced_in_paise(ctx: FaultContext, idx: np.ndarray) -> None:
    _reissue(ctx, idx, "erp_invoiced", "erp", "INVOICED", amount=ctx.orders.amount[idx] * 100)
    ctx.label(idx, "R10", MAPPING)


def captured_in_dollars(ctx: FaultContext, idx: np.ndarray) -> None:
    dollars = np.round(ctx.orders.amount[idx] / USD_RATE).astype(np.int64)
    _reissue(ctx, idx, "pay_captured", "payments", "CAPTURED", amount=dollars, currency=USD)
    ctx.label(idx, "R10", MAPPING)


def invoice_discount(ctx: FaultContext, idx: np.ndarray) -> None:
    """A coupon applied at checkout never reached the ERP's invoice (Rs 50-500 off, at most half)."""
    amount = ctx.orders.amount[idx]
    off = np.minimum(ctx.u(50, 500, len(idx)) * 100, amount // 2)
    _reissue(ctx, idx, "erp_invoiced", "erp", "INVOICED", amount=amount - off)
    ctx.label(idx, "R10", UNKNOWN)


def price_update_dropped(ctx: FaultContext, idx: np.ndarray) -> None:
    """The OMS's price correction to the ERP failed; the invoice carries the old, 15 % higher price."""
    amount = ctx.orders.amount[idx]
    t = _reissue(ctx, idx, "erp_invoiced", "erp", "INVOICED", amount=amount + amount * 15 // 100)
    ctx.failed_calls(idx, t - ctx.u(MINUTE, 20 * MINUTE, len(idx)), "oms", "erp", dropped=True)
    ctx.label(idx, "R10", SYNC)


_PREPAID = {"payment_mode": PREPAID}

SCENARIOS = (
    Scenario("r4_revenue_late", 0.0008, apply=revenue_late),
    Scenario("r4_revenue_missing", 0.0008, apply=revenue_missing),
    Scenario("r4_delivery_confirmation_dropped", 0.0005, apply=delivery_confirmation_dropped),
    Scenario("r4_revenue_code_unmapped", 0.0006, apply=revenue_code_unmapped),
    Scenario("r4_refunded_without_revenue", 0.0006, dims=_PREPAID, apply=refunded_without_revenue),
    Scenario("r10_invoiced_in_paise", 0.0006, apply=invoiced_in_paise),
    Scenario("r10_captured_in_dollars", 0.0005, dims=_PREPAID, apply=captured_in_dollars),
    Scenario("r10_invoice_discount", 0.0008, apply=invoice_discount),
    Scenario("r10_price_update_dropped", 0.0005, apply=price_update_dropped),
)
