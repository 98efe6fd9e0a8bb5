"""R9 orphan_record: carrier awbs, payments and ERP order ids that no OMS order has.

Orphans are pseudo-orders numbered after the real ones: their key (the awb, or the raw order id as the
source wrote it) is what the divergence reports as its order_id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

import numpy as np

from dagster_project.simulator.events import EventLog
from dagster_project.simulator.keys import ORDER_PREFIX, awb_numbers, order_digits_width
from dagster_project.simulator.labels import MAPPING, SYNC, UNKNOWN, Labels
from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.timeline import between
from dagster_project.simulator.vocab import AWB_PREFIXES, CARRIERS, DAY, HOUR, MINUTE

SHARES = {
    "carrier": 0.0006,
    "mangled_payment": 0.0004,
    "mangled_invoice": 0.0003,
    "lost_order": 0.0004,
    "unknown": 0.0004,
}
# How a source mangles a real order id: lower case, bare digits, leading '#'.
_MANGLES = ("ord-{}", "{}", "#{}")


@dataclass
class Orphans:
    width: int  # digits of every ORD- id, real or not
    keys: list[str] = field(default_factory=list)  # key of pseudo-order n_orders + i
    awbs: list[str] = field(default_factory=list)  # awb index 2 * n_orders + j


def count(kind: str, n_orders: int) -> int:
    return ceil(SHARES[kind] * n_orders)


def add_orphans(
    log: EventLog, labels: Labels, orders: Orders, created: np.ndarray, as_of: int, rng: np.random.Generator
) -> Orphans:
    n = orders.n
    lost, unknown = count("lost_order", n), count("unknown", n)
    orphans = Orphans(order_digits_width(n + lost + unknown))
    builder = _Builder(log, labels, orders, orphans, as_of, rng)
    builder.carrier_awbs(count("carrier", n))
    old = np.flatnonzero(created < as_of - 4 * DAY)
    mangled = count("mangled_payment", n) + count("mangled_invoice", n)
    real = rng.choice(old, min(len(old), mangled), replace=False)
    builder.mangled(real[: count("mangled_payment", n)], created, "payments")
    builder.mangled(real[count("mangled_payment", n) :], created, "erp")
    builder.lost_orders(lost)
    builder.unknown_ids(unknown)
    return orphans


@dataclass
class _Builder:
    log: EventLog
    labels: Labels
    orders: Orders
    orphans: Orphans
    as_of: int
    rng: np.random.Generator

    def _new(self, keys: list[str]) -> np.ndarray:
        start = self.orders.n + len(self.orphans.keys)
        self.orphans.keys.extend(keys)
        return np.arange(start, start + len(keys))

    def _first_seen(self, k: int) -> np.ndarray:
        """Well older than the 2 h grace at as_of."""
        return self.as_of - between(self.rng, 6 * HOUR, 20 * DAY, k)

    def carrier_awbs(self, k: int) -> None:
        """Shipments of another seller booked on our account: tracked, never in our OMS."""
        carrier = self.rng.integers(0, len(CARRIERS), k).astype(np.int8)
        slots = 2 * self.orders.n + len(self.orphans.awbs) + np.arange(k)
        numbers = awb_numbers(slots, self.orders.n)
        awbs = [f"{AWB_PREFIXES[c]}{num}" for c, num in zip(carrier, numbers, strict=True)]
        self.orphans.awbs.extend(awbs)
        idx = self._new(awbs)
        t = self._first_seen(k)
        for status, later in (
            ("PICKUP", 0),
            ("IN_TRANSIT", 6 * HOUR),
            ("OFD", 30 * HOUR),
            ("DLVD", 33 * HOUR),
        ):
            times = t + later + between(self.rng, 0, HOUR, k)
            keep = times <= self.as_of - HOUR
            self.log.add(
                "carrier",
                idx[keep],
                times[keep],
                status,
                "api:tracking_push",
                awb=slots[keep],
                carrier=carrier[keep],
            )
        self.labels.add(idx, "R9", UNKNOWN)

    def mangled(self, real: np.ndarray, created: np.ndarray, system: str) -> None:
        """A second gateway or a manual ERP posting spells a real order's id differently (case, prefix):
        the id matches the order only after normalisation."""
        width = self.orphans.width
        numbers = self.orders.number[real]
        keys = [_MANGLES[i % len(_MANGLES)].format(f"{num:0{width}d}") for i, num in enumerate(numbers)]
        idx = self._new(keys)
        after = (MINUTE, DAY) if system == "payments" else (DAY, 2 * DAY)
        t = np.minimum(created[real] + between(self.rng, *after, len(real)), self.as_of - 6 * HOUR)
        if system == "payments":
            self.log.add("payments", idx, t, "CAPTURED", "api:upi_gateway", amount=self.orders.amount[real])
        else:
            self.log.add(
                "erp",
                idx,
                t,
                "CREDIT_NOTE",
                "batch:finance_adjustments",
                amount=self.orders.amount[real] // 10,
            )
        self.labels.add(idx, "R9", MAPPING)

    def _high_ids(self, k: int) -> list[str]:
        """Well-formed ids past the OMS's sequence: orders that exist only upstream."""
        first = self.orders.n + 1 + sum(key.startswith(ORDER_PREFIX) for key in self.orphans.keys)
        return [f"{ORDER_PREFIX}{num:0{self.orphans.width}d}" for num in range(first, first + k)]

    def lost_orders(self, k: int) -> None:
        """The storefront took the payment but its create-order call to the OMS was dropped."""
        idx = self._new(self._high_ids(k))
        t = self._first_seen(k)
        amount = between(self.rng, 199, 9_999, k) * 100
        self.log.failed_calls(idx, t - between(self.rng, 330, 600, k), "ecommerce", "oms", True, self.rng)
        self.log.add("payments", idx, t, "CAPTURED", "api:checkout", amount=amount)
        self.labels.add(idx, "R9", SYNC)

    def unknown_ids(self, k: int) -> None:
        """Invoices for ids past the OMS's sequence, and test captures: no trace of where they came from."""
        invoices = k // 2
        idx = self._new(self._high_ids(invoices))
        self.log.add(
            "erp",
            idx,
            self._first_seen(invoices),
            "INVOICED",
            "batch:erp_invoicing",
            amount=between(self.rng, 199, 9_999, invoices) * 100,
        )
        tests = self._new([f"TEST-{7000 + i}" for i in range(k - invoices)])
        self.log.add("payments", tests, self._first_seen(len(tests)), "CAPTURED", "api:checkout", amount=100)
        self.labels.add(np.concatenate([idx, tests]), "R9", UNKNOWN)
