"""What a fault scenario works with: its orders' timelines, the event log, the labels, and helpers to place
orders in time, add events and record failed integration calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator.events import EventLog
from dagster_project.simulator.labels import ACTION, OPEN, Labels
from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.timeline import Timeline, between
from dagster_project.simulator.vocab import CARRIERS, DAY, HOUR, ZONES

BURST_SIZE = (6, 15)


@dataclass
class FaultContext:
    tl: Timeline
    orders: Orders
    log: EventLog
    labels: Labels
    as_of: int
    rng: np.random.Generator

    def u(self, lo, hi, n: int) -> np.ndarray:
        return between(self.rng, lo, hi, n)

    def place(self, idx: np.ndarray, anchor: np.ndarray, lo: int, hi: int, burst: float = 0.0) -> np.ndarray:
        """Shift these orders' whole timelines so `anchor` falls `lo`..`hi` seconds before as_of.

        Wide ranges shift by whole days (keeping deliveries in the IST daytime). A `burst` share of the
        orders is grouped into incidents: each group shares a carrier, a zone and the hour its anchor
        (the divergence start) falls in. Returns the shift per order.
        """
        n = len(idx)
        target = self.as_of - self.u(lo, hi, n)
        if hi - lo >= 30 * HOUR:
            delta = np.round((target - anchor) / DAY).astype(np.int64) * DAY
            delta -= DAY * (anchor + delta > self.as_of - lo)
            delta += DAY * (anchor + delta < self.as_of - hi)
        else:
            delta = target - anchor
        m = int(round(burst * n))
        if m >= BURST_SIZE[0]:
            group_of = self._burst_groups(m)
            groups = int(group_of.max()) + 1
            hours = (self.as_of - self.u(lo + HOUR, hi - HOUR, groups)) // HOUR * HOUR
            delta[:m] = hours[group_of] + self.u(0, HOUR - 1, m) - anchor[:m]
            self.orders.carrier[idx[:m]] = self.rng.integers(0, len(CARRIERS), groups)[group_of]
            self.orders.zone[idx[:m]] = self.rng.integers(0, len(ZONES), groups)[group_of]
        self.tl.shift(idx, delta)
        return delta

    def _burst_groups(self, m: int) -> np.ndarray:
        """Group index of each of `m` burst members, in incidents of BURST_SIZE orders."""
        sizes = []
        while sum(sizes) < m:
            sizes.append(int(self.rng.integers(BURST_SIZE[0], BURST_SIZE[1] + 1)))
        sizes[-1] -= sum(sizes) - m
        if sizes[-1] < BURST_SIZE[0] and len(sizes) > 1:
            last = sizes.pop()
            sizes[-1] += last
        return np.repeat(np.arange(len(sizes)), sizes)

    def emit(
        self,
        system: str,
        idx: np.ndarray,
        ts: np.ndarray,
        status: str | None,
        actor: str = "system",
        **fields,
    ) -> None:
        self.log.add(system, idx, ts, status, actor, **fields)

    def failed_calls(self, idx: np.ndarray, t: np.ndarray, source: str, target: str, dropped: bool) -> None:
        self.log.failed_calls(idx, t, source, target, dropped, self.rng)

    def label(self, idx: np.ndarray, rule: str, classification, status=OPEN, queue=ACTION) -> None:
        self.labels.add(idx, rule, classification, status, queue)
