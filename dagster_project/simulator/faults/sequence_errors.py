"""R2 timeline_sequence_error (delivered before out for delivery) and R7 status_reversal (a system's delivery
rank goes down twice within 24 h)."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.events import AGENT
from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.flows import Plan
from dagster_project.simulator.labels import MANUAL, MAPPING, SYNC, UNKNOWN
from dagster_project.simulator.scenario import Scenario, plan_dwell
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE, OFFSETS

_PLUS_0100 = [s for s, _ in OFFSETS].index("+01:00")
_PLUS_0530 = [s for s, _ in OFFSETS].index("+05:30")
HALF_HOUR = 30 * MINUTE


def _plan_offset_bug(plan: Plan, idx: np.ndarray, rng: np.random.Generator) -> None:
    """The handheld scans delivery exactly 5 h (IST-configured) or 30 min (CET-configured) after out for
    delivery, plus a server-side delay of 1-10 min before the real DLVD."""
    whole = np.where(rng.random(len(idx)) < 0.5, 5 * HOUR, HALF_HOUR)
    plan.dwell_lo[idx] = plan.dwell_hi[idx] = whole + rng.integers(60, 601, len(idx))
    plan.in_transit[idx] = False


def offset_written_as_utc(ctx: FaultContext, idx: np.ndarray) -> None:
    """A handheld writes its UTC clock reading with the device's offset (+05:30 or +01:00): the extra DLVD
    lands exactly 30 min before out for delivery, a whole multiple of 30 min (mapping_error)."""
    tl = ctx.tl
    out = tl.at("c_ofd0", idx)
    whole = (tl.at("c_dlvd", idx) - out) // HALF_HOUR * HALF_HOUR
    offset = np.where(whole == 5 * HOUR, _PLUS_0530, _PLUS_0100).astype(np.int8)
    early = out - HALF_HOUR
    early = early + ctx.place(idx, early, 4 * HOUR, 20 * DAY, burst=0.5)
    ctx.emit("carrier", idx, early, "DLVD", "api:tracking_push", slot=0, offset=offset)
    ctx.label(idx, "R2", MAPPING)


def _skewed_scan(ctx: FaultContext, idx: np.ndarray) -> np.ndarray:
    """A handheld with a slow clock sends an extra DLVD 8-22 or 38-45 min before out for delivery: never
    near a multiple of 30 min, and short enough that R1's 2 h grace is not reached."""
    n = len(idx)
    short, long = ctx.u(8 * MINUTE, 22 * MINUTE, n), ctx.u(38 * MINUTE, 45 * MINUTE, n)
    gap = np.where(ctx.rng.random(n) < 0.5, short, long)
    early = ctx.tl.at("c_ofd0", idx) - gap
    early = early + ctx.place(idx, early, 4 * HOUR, 20 * DAY)
    ctx.emit("carrier", idx, early, "DLVD", "api:tracking_push", slot=0)
    return early


def clock_skew(ctx: FaultContext, idx: np.ndarray) -> None:
    _skewed_scan(ctx, idx)
    ctx.label(idx, "R2", UNKNOWN)


def clock_skew_failed_webhook(ctx: FaultContext, idx: np.ndarray) -> None:
    early = _skewed_scan(ctx, idx)
    ctx.failed_calls(idx, early + ctx.u(0, 10 * MINUTE, len(idx)), "carrier", "oms", dropped=False)
    ctx.label(idx, "R2", SYNC)


def _no_in_transit_scan(plan: Plan, idx: np.ndarray, rng: np.random.Generator) -> None:
    plan.in_transit[idx] = False


def agent_flaps_oms(ctx: FaultContext, idx: np.ndarray) -> None:
    """Hours after delivery an agent toggles the OMS back to out for delivery twice (no API event near)."""
    n = len(idx)
    first = ctx.tl.at("oms_dlvd", idx) + ctx.u(90 * MINUTE, 6 * HOUR, n)
    first = first + ctx.place(idx, first, 4 * HOUR, 20 * DAY)
    back = first + ctx.u(8 * MINUTE, 20 * MINUTE, n)
    again = back + ctx.u(15 * MINUTE, 25 * MINUTE, n)
    for t, status in (
        (first, "OUT_FOR_DELIVERY"),
        (back, "DELIVERED"),
        (again, "OUT_FOR_DELIVERY"),
        (again + ctx.u(8 * MINUTE, 20 * MINUTE, n), "DELIVERED"),
    ):
        ctx.emit("oms", idx, t, status, AGENT)
    ctx.label(idx, "R7", MANUAL)


def _carrier_flaps(ctx: FaultContext, idx: np.ndarray) -> np.ndarray:
    """Out for delivery, then IN_TRANSIT/OFD scans alternate twice within the hour (OMS and CRM keep moving
    forward only). Returns the first backward move."""
    n = len(idx)
    ctx.place(idx, ctx.tl.at("c_ofd0", idx), 6 * HOUR, 20 * DAY)
    first = ctx.tl.at("c_ofd0", idx) + ctx.u(10 * MINUTE, 25 * MINUTE, n)
    t = first
    for status in ("IN_TRANSIT", "OFD", "IN_TRANSIT", "OFD"):
        ctx.emit("carrier", idx, t, status, "api:tracking_push", slot=0)
        t = t + ctx.u(8 * MINUTE, 18 * MINUTE, n)
    return first


def carrier_flaps(ctx: FaultContext, idx: np.ndarray) -> None:
    _carrier_flaps(ctx, idx)
    ctx.label(idx, "R7", UNKNOWN)


def carrier_flaps_unmapped_scan(ctx: FaultContext, idx: np.ndarray) -> None:
    first = _carrier_flaps(ctx, idx)
    scan = first - ctx.u(MINUTE, 5 * MINUTE, len(idx))
    ctx.emit("carrier", idx, scan, "HUB_INSCAN", "api:tracking_push", slot=0)
    ctx.label(idx, "R7", MAPPING)


def carrier_flaps_failed_webhook(ctx: FaultContext, idx: np.ndarray) -> None:
    first = _carrier_flaps(ctx, idx)
    ctx.failed_calls(idx, first + ctx.u(0, 10 * MINUTE, len(idx)), "carrier", "oms", dropped=False)
    ctx.label(idx, "R7", SYNC)


_FLAP_DWELL = plan_dwell(210 * MINUTE, 8 * HOUR)

SCENARIOS = (
    Scenario("r2_offset_written_as_utc", 0.001, plan=_plan_offset_bug, apply=offset_written_as_utc),
    Scenario("r2_clock_skew", 0.0008, plan=_no_in_transit_scan, apply=clock_skew),
    Scenario(
        "r2_clock_skew_failed_webhook",
        0.0005,
        plan=_no_in_transit_scan,
        apply=clock_skew_failed_webhook,
    ),
    Scenario("r7_agent_flaps_oms", 0.0008, apply=agent_flaps_oms),
    Scenario("r7_carrier_flaps", 0.0008, plan=_FLAP_DWELL, apply=carrier_flaps),
    Scenario("r7_carrier_flaps_unmapped_scan", 0.0005, plan=_FLAP_DWELL, apply=carrier_flaps_unmapped_scan),
    Scenario("r7_carrier_flaps_failed_webhook", 0.0005, plan=_FLAP_DWELL, apply=carrier_flaps_failed_webhook),
)
