"""The physical life of every order: fulfilment, carrier attempts, delivery, RTO, cancellation, replacement.

A `Plan` says per order what happens (how many failed attempts, how it ends, whether a replacement
follows); `sample_primaries` turns plans into the milestones other systems later mirror (`derive.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator.timeline import Timeline, between, last_second_of_hour, morning_ist
from dagster_project.simulator.vocab import DAY, HOUR, MINUTE, TRANSIT_DAYS

DELIVER, RTO, CANCEL = 0, 1, 2
MAX_ATTEMPTS = 3


@dataclass
class Plan:
    """Per-order flow parameters; faults adjust them before the milestones are sampled."""

    n_fail: np.ndarray  # failed delivery attempts (carrier NDRs) before the terminal event
    terminal: np.ndarray  # DELIVER, RTO or CANCEL
    replace: np.ndarray  # a replacement shipment follows the delivery
    in_transit: np.ndarray  # the carrier sends an IN_TRANSIT scan
    dwell_lo: np.ndarray  # out for delivery -> delivered, seconds
    dwell_hi: np.ndarray
    prep_lo: np.ndarray  # minimum created -> manifested, seconds

    @classmethod
    def default(cls, n: int, rng: np.random.Generator) -> Plan:
        return cls(
            n_fail=np.zeros(n, np.int8),
            terminal=np.full(n, DELIVER, np.int8),
            replace=np.zeros(n, bool),
            in_transit=rng.random(n) < 0.4,
            dwell_lo=np.full(n, 50 * MINUTE, np.int64),
            dwell_hi=np.full(n, 9 * HOUR, np.int64),
            prep_lo=np.zeros(n, np.int64),
        )


def shape_flow(plan: Plan, idx: np.ndarray, flow: str, rng: np.random.Generator) -> None:
    """Set the plan of orders `idx` for one of the base flows."""
    n = len(idx)
    if flow == "ndr_delivered":
        plan.n_fail[idx] = rng.integers(1, 3, n)
    elif flow == "rto":
        plan.n_fail[idx] = rng.integers(1, MAX_ATTEMPTS + 1, n)
        plan.terminal[idx] = RTO
    elif flow == "rto_no_ndr":
        plan.terminal[idx] = RTO
    elif flow == "cancelled":
        plan.terminal[idx] = CANCEL
    elif flow == "replacement":
        plan.replace[idx] = True
    elif flow != "delivered":
        raise ValueError(f"unknown flow {flow!r}")


def sample_primaries(tl: Timeline, plan: Plan, zone: np.ndarray, rng: np.random.Generator) -> None:
    """Milestones owned by the OMS, WMS and carrier; `tl['created']` must be set."""
    created = tl["created"]
    ship = np.flatnonzero(plan.terminal != CANCEL)
    n = len(ship)
    manifested = created[ship] + plan.prep_lo[ship] + between(rng, HOUR, 36 * HOUR, n)
    tl.put("wms_manifested", ship, manifested)
    shipped = manifested + between(rng, 5 * MINUTE, 30 * MINUTE, n)
    tl.put("oms_shipped", ship, shipped)
    pickup = shipped + between(rng, 10 * MINUTE, HOUR, n)
    tl.put("c_pickup", ship, pickup)
    scanned = plan.in_transit[ship]
    in_transit = pickup + between(rng, 2 * HOUR, 14 * HOUR, n)
    tl.put("c_in_transit", ship, in_transit, where=scanned)
    last_scan = np.where(scanned, in_transit, pickup)

    terminal, n_fail = plan.terminal[ship], plan.n_fail[ship]
    attempts = n_fail + (terminal == DELIVER)
    transit_days = np.asarray(TRANSIT_DAYS)[zone[ship]] + rng.integers(0, 2, n)
    ofd = morning_ist(rng, pickup, transit_days)
    ofd = np.where(ofd < last_scan + 2 * HOUR, ofd + DAY, ofd)
    last_ofd, last_ndr = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    for k in range(MAX_ATTEMPTS):
        if k:
            ofd = morning_ist(rng, last_ndr, rng.integers(1, 3, n))
        tried, failed = k < attempts, k < n_fail
        ndr = ofd + between(rng, HOUR, 8 * HOUR, n)
        tl.put(f"c_ofd{k}", ship, ofd, where=tried)
        tl.put(f"c_ndr{k}", ship, ndr, where=failed)
        last_ofd = np.where(tried, ofd, last_ofd)
        last_ndr = np.where(failed, ndr, last_ndr)

    delivered = terminal == DELIVER
    dlvd = last_ofd + between(rng, plan.dwell_lo[ship], plan.dwell_hi[ship], n)
    tl.put("c_dlvd", ship, dlvd, where=delivered)
    rto = terminal == RTO
    rto_init = np.where(n_fail > 0, last_ndr, last_scan) + between(rng, 2 * HOUR, 20 * HOUR, n)
    tl.put("c_rto_init", ship, rto_init, where=rto)
    tl.put("c_rto_dlvd", ship, rto_init + between(rng, 2 * DAY, 6 * DAY, n), where=rto)

    cancel = np.flatnonzero(plan.terminal == CANCEL)
    tl.put("oms_cancelled", cancel, created[cancel] + between(rng, 15 * MINUTE, 20 * HOUR, len(cancel)))

    _sample_replacements(tl, np.flatnonzero(plan.replace & (plan.terminal == DELIVER)), zone, rng)
    _promise(tl, rng)


def _sample_replacements(tl: Timeline, idx: np.ndarray, zone: np.ndarray, rng: np.random.Generator) -> None:
    """An exchange after delivery: a new awb goes through the same carrier journey."""
    n = len(idx)
    exchange = tl.at("c_dlvd", idx) + between(rng, DAY, 3 * DAY, n)
    tl.put("crm_exchange", idx, exchange)
    created = exchange + between(rng, 30 * MINUTE, 6 * HOUR, n)
    tl.put("oms_repl_created", idx, created)
    manifested = created + between(rng, 3 * HOUR, 20 * HOUR, n)
    tl.put("wms_repl_manifested", idx, manifested)
    shipped = manifested + between(rng, 5 * MINUTE, 30 * MINUTE, n)
    tl.put("oms_repl_shipped", idx, shipped)
    pickup = shipped + between(rng, 10 * MINUTE, HOUR, n)
    tl.put("c_repl_pickup", idx, pickup)
    scanned = rng.random(n) < 0.5
    in_transit = pickup + between(rng, 2 * HOUR, 14 * HOUR, n)
    tl.put("c_repl_in_transit", idx, in_transit, where=scanned)
    ofd = morning_ist(rng, pickup, np.asarray(TRANSIT_DAYS)[zone[idx]])
    ofd = np.where(ofd < np.where(scanned, in_transit, pickup) + 2 * HOUR, ofd + DAY, ofd)
    tl.put("c_repl_ofd", idx, ofd)
    tl.put("c_repl_dlvd", idx, ofd + between(rng, 50 * MINUTE, 9 * HOUR, n))


def _promise(tl: Timeline, rng: np.random.Generator) -> None:
    """Promise 3-7 days, and never before the order's physical journey ends (clean orders are never late)."""
    created = tl["created"]
    last = np.maximum.reduce([tl["c_dlvd"], tl["c_repl_dlvd"], tl["c_rto_init"]])
    margin = between(rng, 6 * HOUR, 36 * HOUR, tl.n)
    usual = created + between(rng, 3 * DAY, 7 * DAY, tl.n)
    promise = np.maximum(usual, np.where(last >= 0, last + margin, 0))
    tl["promised_by"] = last_second_of_hour(promise)
