"""Every scenario the simulator plays, and how many orders each one gets."""

from __future__ import annotations

from math import ceil, floor

import numpy as np

from dagster_project.simulator.faults import (
    delivery_conflicts,
    missing,
    money,
    overdue,
    returns,
    sequence_errors,
    tickets,
)
from dagster_project.simulator.scenario import Scenario

DEFAULT = "delivered"  # the clean flow that takes every order no other scenario claims
CLEAN: tuple[Scenario, ...] = (
    Scenario(DEFAULT, 0.0, clean=True),
    Scenario("ndr_redelivered", 0.08, "ndr_delivered", clean=True),
    Scenario("rto_after_ndr", 0.03, "rto", clean=True),
    Scenario("cancelled", 0.03, "cancelled", apply=overdue.cancelled, clean=True),
    Scenario("replacement", 0.015, "replacement", clean=True),
)
FAULTS: tuple[Scenario, ...] = (
    delivery_conflicts.SCENARIOS
    + sequence_errors.SCENARIOS
    + returns.SCENARIOS
    + tickets.SCENARIOS
    + money.SCENARIOS
    + missing.SCENARIOS
    + overdue.SCENARIOS
)
CATALOGUE: tuple[Scenario, ...] = CLEAN + FAULTS
MAX_FAULT_SHARE = 0.3  # below ~100 orders, one order per fault would crowd out the clean ones


def allocate(n: int) -> np.ndarray:
    """Orders per scenario (in CATALOGUE order): every fault gets at least one order once n is large enough,
    clean flows take their share, the default flow the rest."""
    faults = np.array([ceil(s.share * n) for s in FAULTS])
    if faults.sum() > MAX_FAULT_SHARE * n:
        faults = _largest_remainder(np.array([s.share for s in FAULTS]) * n)
    clean = np.array([floor(s.share * n) for s in CLEAN])
    clean[0] = n - clean.sum() - faults.sum()
    return np.concatenate([clean, faults])


def _largest_remainder(quotas: np.ndarray) -> np.ndarray:
    counts = np.floor(quotas).astype(np.int64)
    extra = int(round(quotas.sum())) - counts.sum()
    counts[np.argsort(counts - quotas, kind="stable")[:extra]] += 1
    return counts


def assign(n: int, rng: np.random.Generator) -> np.ndarray:
    """A scenario code (index into CATALOGUE) per order, in random order."""
    return rng.permutation(np.repeat(np.arange(len(CATALOGUE), dtype=np.int16), allocate(n)))
