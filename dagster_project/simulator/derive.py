"""Everything the other systems record about an order's physical life: OMS and CRM mirrors of carrier
states, money movements, revenue, tickets and webhook calls.

Mirrors lag their source by minutes (OMS <= 20 min after the carrier, CRM <= 15 min after the OMS) and
keep each system's own sequence strictly increasing, so on a clean order the systems never disagree for
more than ~35 minutes, far inside RULES.md's 2 h grace.
"""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.timeline import Timeline, between
from dagster_project.simulator.vocab import COD, DAY, HOUR, MINUTE, PREPAID

OMS_LAG = (MINUTE, 20 * MINUTE)
CRM_LAG = (MINUTE, 15 * MINUTE)
STEP = MINUTE  # a mirror is at least this long after the previous event of its own system


class _Deriver:
    def __init__(self, tl: Timeline, rng: np.random.Generator):
        self.tl, self.rng = tl, rng

    def follow(
        self,
        dst: str,
        src: str,
        lag: tuple[int, int],
        after: str | None = None,
        where: np.ndarray | None = None,
    ) -> None:
        """`dst` happens `lag` after `src` (and strictly after `after`, its system's previous event)."""
        src_t = self.tl[src]
        mask = src_t >= 0 if where is None else (src_t >= 0) & where
        idx = np.flatnonzero(mask)
        t = src_t[idx] + between(self.rng, lag[0], lag[1], len(idx))
        if after is not None:
            prev = self.tl[after][idx]
            t = np.where(prev >= 0, np.maximum(t, prev + STEP), t)
        self.tl.put(dst, idx, t)

    def maybe(self, share: float, where: np.ndarray) -> np.ndarray:
        return where & (self.rng.random(self.tl.n) < share)


def derive(tl: Timeline, orders: Orders, noise: np.ndarray, rng: np.random.Generator) -> None:
    """Fill the secondary milestones of every order; `noise` marks orders that get harmless extras
    (tickets, closures, chargebacks, retried webhooks) that only clean orders can carry safely."""
    d = _Deriver(tl, rng)
    created, shipped = tl["created"] >= 0, tl["oms_shipped"] >= 0
    delivered = tl["c_dlvd"] >= 0
    prepaid, cod = orders.payment_mode == PREPAID, orders.payment_mode == COD

    d.follow("oms_confirmed", "created", (MINUTE, 8 * MINUTE), where=d.maybe(0.15, created))
    d.follow("crm_placed", "created", (20, 15 * MINUTE))
    d.follow("pay_captured", "created", (2, 90), where=prepaid)
    _fulfilment(d, shipped)

    d.follow("crm_shipped", "oms_shipped", CRM_LAG, after="crm_placed")
    d.follow("oms_ofd", "c_ofd0", OMS_LAG, after="oms_shipped")
    d.follow("crm_ofd", "oms_ofd", CRM_LAG, after="crm_shipped")
    d.follow("oms_dlvd", "c_dlvd", OMS_LAG, after="oms_ofd")
    d.follow("crm_dlvd", "oms_dlvd", CRM_LAG, after="crm_ofd")
    d.follow("oms_rto_init", "c_rto_init", OMS_LAG, after="oms_ofd")
    d.follow("crm_rto_init", "oms_rto_init", CRM_LAG, after="crm_ofd")
    d.follow("oms_rto_dlvd", "c_rto_dlvd", OMS_LAG, after="oms_rto_init")
    d.follow("crm_rto_dlvd", "oms_rto_dlvd", CRM_LAG, after="crm_rto_init")
    d.follow("wms_rto_received", "c_rto_dlvd", (10 * MINUTE, 8 * HOUR))
    d.follow("crm_cancelled", "oms_cancelled", CRM_LAG, after="crm_placed")

    d.follow("crm_repl_shipped", "oms_repl_shipped", CRM_LAG)
    d.follow("oms_repl_ofd", "c_repl_ofd", OMS_LAG, after="oms_repl_shipped")
    d.follow("crm_repl_ofd", "oms_repl_ofd", CRM_LAG, after="crm_repl_shipped")
    d.follow("oms_repl_dlvd", "c_repl_dlvd", OMS_LAG, after="oms_repl_ofd")
    d.follow("crm_repl_dlvd", "oms_repl_dlvd", CRM_LAG, after="crm_repl_ofd")

    d.follow("pay_cod", "c_dlvd", (2 * MINUTE, 40 * MINUTE), where=cod)
    d.follow("erp_invoiced", "oms_shipped", (10 * MINUTE, 3 * HOUR))
    d.follow("erp_revenue", "c_dlvd", (HOUR, 12 * HOUR))
    d.follow("erp_credit_note", "c_rto_dlvd", (6 * HOUR, 30 * HOUR))
    d.follow("il_webhook", "c_dlvd", (2, 30))
    _refunds(tl, d, prepaid)
    _noise(tl, d, noise & delivered, prepaid)


def _fulfilment(d: _Deriver, shipped: np.ndarray) -> None:
    """Optional warehouse scans before the manifest, and the OMS's optional PACKED."""
    tl = d.tl
    d.follow("wms_picked", "wms_manifested", (-3 * HOUR, -20 * MINUTE), where=d.maybe(0.4, shipped))
    d.follow("oms_packed", "wms_manifested", (-15 * MINUTE, -2 * MINUTE), where=d.maybe(0.15, shipped))
    d.follow(
        "wms_repl_picked",
        "wms_repl_manifested",
        (-2 * HOUR, -20 * MINUTE),
        where=d.maybe(0.6, tl["wms_repl_manifested"] >= 0),
    )
    # A scan cannot precede the order (or its replacement request): drop the few that would.
    for scan, floor in (
        ("wms_picked", "oms_confirmed"),
        ("oms_packed", "oms_confirmed"),
        ("wms_repl_picked", "oms_repl_created"),
    ):
        bound = np.maximum(tl["created"], tl[floor]) + 5 * MINUTE
        tl[scan][(tl[scan] >= 0) & (tl[scan] < bound)] = -1
    packed = d.maybe(0.25, tl["wms_picked"] >= 0)
    idx = np.flatnonzero(packed)
    mid = (tl["wms_picked"][idx] + tl["wms_manifested"][idx]) // 2
    tl.put("wms_packed", idx, mid)


def _refunds(tl: Timeline, d: _Deriver, prepaid: np.ndarray) -> None:
    """Prepaid money goes back after a cancellation, or once the RTO parcel is back (never before)."""
    d.follow("pay_refund_init", "oms_cancelled", (5 * MINUTE, 2 * HOUR), where=prepaid)
    d.follow("pay_refund_init", "c_rto_dlvd", (HOUR, DAY), where=prepaid)
    d.follow("pay_refunded", "pay_refund_init", (DAY, 3 * DAY))
    d.follow("crm_refunded", "pay_refunded", (5 * MINUTE, HOUR), after="crm_cancelled")


def _noise(tl: Timeline, d: _Deriver, delivered: np.ndarray, prepaid: np.ndarray) -> None:
    first_time = delivered & (tl["c_ndr0"] < 0) & (tl["oms_repl_created"] < 0)
    d.follow("oms_closed", "oms_dlvd", (3 * DAY, 7 * DAY), where=d.maybe(0.1, first_time))
    d.follow("pay_chargeback", "c_dlvd", (5 * DAY, 20 * DAY), where=d.maybe(0.003, delivered & prepaid))

    # Tickets: a complaint after delivery, or a "where is my parcel" after a failed attempt; both are
    # resolved only once the OMS says delivered (resolving earlier is R6).
    d.follow("crm_ticket_open", "c_dlvd", (2 * HOUR, 3 * DAY), where=d.maybe(0.06, first_time))
    d.follow(
        "crm_ticket_open",
        "c_ndr0",
        (30 * MINUTE, 6 * HOUR),
        where=d.maybe(0.3, delivered & (tl["c_ndr0"] >= 0) & (tl["oms_repl_created"] < 0)),
    )
    idx = np.flatnonzero(tl["crm_ticket_open"] >= 0)
    start = np.maximum(tl["crm_ticket_open"][idx], tl["crm_dlvd"][idx])
    tl.put("crm_ticket_resolved", idx, start + between(d.rng, HOUR, 2 * DAY, len(idx)))

    # A few webhooks fail once and succeed on the retry a minute later.
    retried = np.flatnonzero(d.maybe(0.04, delivered))
    t = tl["il_webhook"][retried]
    tl.put("il_webhook_retry", retried, t)
    tl.put("il_webhook_fail", retried, t - between(d.rng, 30, 90, len(retried)))
    tl.clear(retried, "il_webhook")
