"""Order skeletons: who bought what, how they pay, who ships it, and when each order was created."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator.timeline import between
from dagster_project.simulator.vocab import (
    CARRIERS,
    CRM_REF_PREFIXES,
    DAY,
    HOUR,
    IST,
    REGIONS,
    SKU_CATEGORIES,
    WAREHOUSES,
    ZONES,
)

# Share of orders per IST hour of day: quiet nights, a lunch and an evening peak.
_HOURLY = np.array([2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4], float)
# Order value scale per SKU category (median basket ~ Rs 900).
_CATEGORY_SCALE = np.array([3.0, 1.0, 1.5, 0.6, 0.5, 0.4, 0.8])
_CRM_STYLE_WEIGHTS = (0.7, 0.1, 0.1, 0.1)


@dataclass
class Orders:
    """Per-order dimensions (small integer codes into `vocab`), one array each, all of length n."""

    n: int
    scenario: np.ndarray
    payment_mode: np.ndarray
    vendor: np.ndarray
    carrier: np.ndarray
    zone: np.ndarray
    region: np.ndarray
    warehouse: np.ndarray
    sku: np.ndarray
    crm_style: np.ndarray
    amount: np.ndarray  # paise
    number: np.ndarray  # the digits of ORD-<number>, assigned in creation order once times are final

    def set_dims(self, idx: np.ndarray, **dims: int) -> None:
        for name, value in dims.items():
            getattr(self, name)[idx] = value


def sample_orders(n: int, scenario: np.ndarray, rng: np.random.Generator) -> Orders:
    sku = rng.integers(0, len(SKU_CATEGORIES), n).astype(np.int8)
    rupees = np.round(rng.lognormal(np.log(900), 0.9, n) * _CATEGORY_SCALE[sku])
    rupees = np.where(rng.random(n) < 0.4, rupees // 100 * 100 + 99, rupees)  # price points like 1,299
    paise = np.clip(rupees, 99, 200_000).astype(np.int64) * 100 + np.where(rng.random(n) < 0.1, 50, 0)
    return Orders(
        n=n,
        scenario=scenario,
        payment_mode=(rng.random(n) < 0.35).astype(np.int8),
        vendor=(rng.random(n) < 0.3).astype(np.int8),
        carrier=rng.choice(len(CARRIERS), n, p=(0.3, 0.25, 0.2, 0.15, 0.1)).astype(np.int8),
        zone=rng.choice(len(ZONES), n, p=(0.15, 0.25, 0.3, 0.25, 0.05)).astype(np.int8),
        region=rng.integers(0, len(REGIONS), n).astype(np.int8),
        warehouse=rng.integers(0, len(WAREHOUSES), n).astype(np.int8),
        sku=sku,
        crm_style=rng.choice(len(CRM_REF_PREFIXES), n, p=_CRM_STYLE_WEIGHTS).astype(np.int8),
        amount=paise,
        number=np.zeros(n, np.int64),
    )


def sample_created(n: int, as_of: int, days: int, rng: np.random.Generator) -> np.ndarray:
    """Creation times over the `days` before as_of, following the IST daily profile."""
    start_day = (as_of + IST) // DAY - days
    day = start_day + rng.integers(0, days + 1, n)
    hour = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    t = day * DAY - IST + hour * HOUR + between(rng, 0, HOUR - 1, n)
    # The last (partial) day folds back a week so nothing is created after as_of.
    return np.where(t >= as_of, t - 7 * DAY, t)


def assign_numbers(orders: Orders, created: np.ndarray) -> None:
    """Order numbers increase with creation time, as a real OMS sequence does."""
    orders.number[np.argsort(created, kind="stable")] = np.arange(1, orders.n + 1)
