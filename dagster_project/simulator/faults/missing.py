"""R8 missing_in_system: an order the CRM never hears of (6 h after creation), or a delivered order the
ERP never hears of (6 h after delivery); resolved when the late events finally arrive."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.flows import Plan
from dagster_project.simulator.labels import RESOLVED, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE

_ERP = ("erp_invoiced", "erp_revenue", "erp_credit_note")


def _half_with_dropped_call(ctx: FaultContext, idx: np.ndarray, at: np.ndarray, target: str) -> np.ndarray:
    """Half the orders (alternately) lose their call to `target` minutes after `at`: sync_delay; the rest
    have no trace of why: unknown. Returns each order's classification."""
    dropped = np.arange(len(idx)) % 2 == 0
    calls_at = at[dropped] + ctx.u(5, 10 * MINUTE, int(dropped.sum()))
    ctx.failed_calls(idx[dropped], calls_at, "oms", target, dropped=True)
    return np.where(dropped, SYNC, UNKNOWN)


def crm_never_told(ctx: FaultContext, idx: np.ndarray) -> None:
    ctx.place(idx, ctx.tl.at("created", idx), 8 * HOUR, 20 * DAY)
    ctx.tl.clear(idx, *(name for name in ctx.tl.names() if name.startswith("crm_")))
    ctx.label(idx, "R8", _half_with_dropped_call(ctx, idx, ctx.tl.at("created", idx), "crm"))


def _late_shipping(plan: Plan, idx: np.ndarray, rng: np.random.Generator) -> None:
    plan.prep_lo[idx] = 14 * HOUR


def crm_told_late(ctx: FaultContext, idx: np.ndarray) -> None:
    """The CRM learns of the order 8-12 h after creation (before it ships), and mirrors it from then on."""
    created = ctx.tl.at("created", idx)
    ctx.place(idx, created, DAY, 20 * DAY)
    ctx.tl.put("crm_placed", idx, ctx.tl.at("created", idx) + ctx.u(8 * HOUR, 12 * HOUR, len(idx)))
    ctx.label(idx, "R8", SYNC, RESOLVED)


def erp_never_told(ctx: FaultContext, idx: np.ndarray) -> None:
    """No ERP event at all. Half were delivered 8-20 h ago (R8 only); the other half over 30 h ago, so the
    missing revenue is also R4, with the same start (delivery) and the same cause."""
    recent = np.arange(len(idx)) < len(idx) // 2
    ctx.place(idx[recent], ctx.tl.at("c_dlvd", idx[recent]), 8 * HOUR, 20 * HOUR)
    ctx.place(idx[~recent], ctx.tl.at("c_dlvd", idx[~recent]), 30 * HOUR, 20 * DAY)
    ctx.tl.clear(idx, *_ERP)
    classification = _half_with_dropped_call(ctx, idx, ctx.tl.at("c_dlvd", idx), "erp")
    ctx.label(idx, "R8", classification)
    ctx.label(idx[~recent], "R4", classification[~recent])


def erp_told_late(ctx: FaultContext, idx: np.ndarray) -> None:
    """The ERP invoices 8-14 h after delivery and recognises revenue within 2 h of that (inside 24 h)."""
    ctx.place(idx, ctx.tl.at("c_dlvd", idx), 2 * DAY, 20 * DAY)
    invoiced = ctx.tl.at("c_dlvd", idx) + ctx.u(8 * HOUR, 14 * HOUR, len(idx))
    ctx.tl.put("erp_invoiced", idx, invoiced)
    ctx.tl.put("erp_revenue", idx, invoiced + ctx.u(10 * MINUTE, 2 * HOUR, len(idx)))
    ctx.label(idx, "R8", SYNC, RESOLVED)


SCENARIOS = (
    Scenario("r8_crm_never_told", 0.0008, apply=crm_never_told),
    Scenario("r8_crm_told_late", 0.0006, plan=_late_shipping, apply=crm_told_late),
    Scenario("r8_erp_never_told", 0.0008, apply=erp_never_told),
    Scenario("r8_erp_told_late", 0.0006, apply=erp_told_late),
)
