"""Per-order milestone times: one int64 array (UTC epoch seconds) per milestone, -1 when it never happens.

Flows fill the milestones for every order at once; faults then move, clear or add to them for their own
orders. Each milestone that is an event becomes one row of one system (see `steps.py`).
"""

from __future__ import annotations

import zlib

import numpy as np

from dagster_project.simulator.vocab import DAY, HOUR, IST

NEVER = -1
# Milestones that are attributes, not events: never cleared by `clear_after`.
ATTRIBUTES = frozenset({"created", "promised_by"})


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per (seed, component), so one component's draws never shift another's."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def between(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    """`n` whole seconds drawn uniformly from [lo, hi] (scalars or arrays)."""
    lo = np.asarray(lo, np.int64)
    hi = np.asarray(hi, np.int64)
    return lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)


def morning_ist(rng: np.random.Generator, t: np.ndarray, days) -> np.ndarray:
    """Between 08:00 and 10:30 IST, `days` calendar days after the IST day of `t` (when vans go out)."""
    day = (t + IST) // DAY + np.asarray(days, np.int64)
    return day * DAY - IST + between(rng, 8 * HOUR, 10 * HOUR + 30 * 60, len(t))


def last_second_of_hour(t: np.ndarray) -> np.ndarray:
    """Promised-by times read HH:59:59, so an on-the-hour as_of never equals one (no tie at the boundary)."""
    return (t // HOUR + 1) * HOUR - 1


class Timeline:
    """Named milestone arrays over all orders, created on first use filled with NEVER."""

    def __init__(self, n: int):
        self.n = n
        self._cols: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        col = self._cols.get(name)
        if col is None:
            col = self._cols[name] = np.full(self.n, NEVER, np.int64)
        return col

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self._cols[name] = np.asarray(values, np.int64)

    def __contains__(self, name: str) -> bool:
        return name in self._cols

    def names(self) -> list[str]:
        return list(self._cols)

    def put(self, name: str, idx: np.ndarray, values, where: np.ndarray | None = None) -> None:
        """Set `name` for orders `idx` (optionally only where the boolean `where` holds)."""
        values = np.broadcast_to(np.asarray(values, np.int64), idx.shape)
        if where is not None:
            idx, values = idx[where], values[where]
        self[name][idx] = values

    def at(self, name: str, idx: np.ndarray) -> np.ndarray:
        return self[name][idx]

    def clear(self, idx: np.ndarray, *names: str) -> None:
        for name in names:
            self[name][idx] = NEVER

    def clear_after(self, idx: np.ndarray, t: np.ndarray) -> None:
        """Nothing happens to these orders after `t` (they stall)."""
        for name, col in self._cols.items():
            if name not in ATTRIBUTES:
                v = col[idx]
                col[idx] = np.where(v > t, NEVER, v)

    def shift(self, idx: np.ndarray, delta: np.ndarray) -> None:
        """Move every milestone of these orders by `delta` seconds (placing them in time)."""
        for col in self._cols.values():
            v = col[idx]
            col[idx] = np.where(v >= 0, v + delta, v)
