"""A scenario: a share of orders that follow one base flow, optionally bent by a fault.

`plan` adjusts the flow parameters before milestones are sampled; `apply` runs after the mirrors are
derived: it places the orders in time, changes or adds events, and declares the expected divergences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from dagster_project.simulator.faults.context import FaultContext
from dagster_project.simulator.flows import Plan

PlanHook = Callable[[Plan, np.ndarray, np.random.Generator], None]
ApplyHook = Callable[[FaultContext, np.ndarray], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    share: float  # of all orders
    flow: str = "delivered"
    dims: Mapping[str, int] = field(default_factory=dict)  # forced dimensions, e.g. payment_mode=PREPAID
    plan: PlanHook | None = None
    apply: ApplyHook | None = None
    clean: bool = False  # a clean flow: also gets harmless extras (tickets, closures, retried webhooks)


def plan_dwell(lo: int, hi: int) -> PlanHook:
    """Out-for-delivery lasts lo..hi seconds (room for events in between)."""

    def hook(plan: Plan, idx: np.ndarray, rng: np.random.Generator) -> None:
        plan.dwell_lo[idx], plan.dwell_hi[idx] = lo, hi

    return hook
