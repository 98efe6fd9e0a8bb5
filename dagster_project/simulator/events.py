"""The event log: numeric event rows per system, gathered in blocks and concatenated once.

A row holds codes, not text: the order index (real orders first, then orphan keys), the UTC epoch second,
the native status (index into `vocab.STATUSES[system]`), the actor (index into `vocab.ACTORS`) and a few
system fields. Text is produced only when a batch file is written (`formatting.py`).
"""

from __future__ import annotations

import numpy as np

from dagster_project.contract import SYSTEMS
from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.timeline import between
from dagster_project.simulator.vocab import (
    ACTORS,
    AGENT_BASE,
    AGENT_COUNT,
    CRM_EVENT_TYPES,
    OUTCOMES,
    STATUSES,
    call,
)

AGENT = "agent"  # actor placeholder: the order's own support agent

_COMMON = {
    "order": (np.int32, -1),
    "ts": (np.int64, -1),
    "status": (np.int16, -1),
    "actor": (np.int16, 0),
    "offset": (np.int8, -1),
}
_MONEY = {"amount": (np.int64, -1), "currency": (np.int8, 0)}
FIELDS: dict[str, dict[str, tuple[type, int]]] = {
    "oms": {"awb": (np.int64, -1)},
    "wms": {"awb": (np.int64, -1)},
    "carrier": {"awb": (np.int64, -1), "carrier": (np.int8, -1)},
    "crm": {"etype": (np.int8, 0), "ticket": (np.int8, -1)},
    "payments": _MONEY,
    "erp": _MONEY,
    "integration_log": {
        "call": (np.int8, 0),
        "http": (np.int16, -1),
        "attempt": (np.int8, 1),
        "outcome": (np.int8, 0),
    },
}


def agent_of(order: np.ndarray) -> np.ndarray:
    """Each order's support agent: the same person handles all of one order's manual actions."""
    return (AGENT_BASE + (order.astype(np.int64) * 7919) % AGENT_COUNT).astype(np.int16)


def hashed_share(order: np.ndarray, share: float) -> np.ndarray:
    """A deterministic `share` of orders (by a multiplicative hash of the index)."""
    return ((order.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)) < share * 2**32


def _field(block: dict[str, np.ndarray], name: str, dtype: type, fill: int) -> np.ndarray:
    """A block's values for `name`, or its default when the block does not set it."""
    return np.asarray(block[name], dtype) if name in block else np.full(len(block["ts"]), fill, dtype)


class EventLog:
    def __init__(self, orders: Orders):
        self.orders = orders
        self._blocks: dict[str, list[dict[str, np.ndarray]]] = {s: [] for s in SYSTEMS}

    def add(
        self,
        system: str,
        order: np.ndarray,
        ts: np.ndarray,
        status: str | None = None,
        actor: str = "system",
        agent_share: float = 0.0,
        slot: int | None = None,
        etype: str | None = None,
        **fields,
    ) -> None:
        """Append one event per element of `order`/`ts`.

        `actor` is a name from `vocab.ACTORS` or AGENT; `agent_share` hands that share of orders to their
        agent instead. `slot` 0/1 links carrier/oms/wms rows to the order's first or replacement awb.
        Money rows default to the order amount; carrier rows to the order's carrier.
        """
        order = np.asarray(order, np.int32)
        n = len(order)
        block = {"order": order, "ts": np.broadcast_to(np.asarray(ts, np.int64), (n,))}
        if status is not None:
            block["status"] = np.full(n, STATUSES[system].index(status), np.int16)
        block["actor"] = self._actors(order, actor, agent_share)
        if etype is not None:
            block["etype"] = np.full(n, CRM_EVENT_TYPES.index(etype), np.int8)
        if slot is not None:
            block["awb"] = order.astype(np.int64) * 2 + slot
        if system == "carrier" and "carrier" not in fields:
            fields["carrier"] = self.orders.carrier[order]
        if system in ("payments", "erp") and "amount" not in fields:
            fields["amount"] = self.orders.amount[order]
        for name, value in fields.items():
            block[name] = np.broadcast_to(np.asarray(value), (n,))
        self._blocks[system].append(block)

    @staticmethod
    def _actors(order: np.ndarray, actor: str, agent_share: float) -> np.ndarray:
        if actor == AGENT:
            return agent_of(order)
        codes = np.full(len(order), ACTORS.index(actor), np.int16)
        if agent_share:
            swap = hashed_share(order, agent_share)
            codes[swap] = agent_of(order[swap])
        return codes

    def failed_calls(
        self,
        order: np.ndarray,
        t: np.ndarray,
        source: str,
        target: str,
        dropped: bool,
        rng: np.random.Generator,
    ) -> None:
        """A call per order that fails at `t` and is retried: delivered a minute later, or (dropped) timing
        out and given up after the third attempt, all within 6 minutes."""
        n = len(order)
        attempts = [(t, 1, 503, "failed")]
        if dropped:  # the retry times out (no HTTP status), the third attempt gives up
            attempts += [
                (t + between(rng, 50, 70, n), 2, -1, "failed"),
                (t + between(rng, 280, 320, n), 3, 503, "dropped"),
            ]
        else:
            attempts += [(t + between(rng, 50, 70, n), 2, 200, "delivered")]
        for at, attempt, http, outcome in attempts:
            self.add(
                "integration_log",
                order,
                at,
                call=call(source, target),
                http=http,
                attempt=attempt,
                outcome=OUTCOMES.index(outcome),
            )

    def collect(self, system: str) -> dict[str, np.ndarray]:
        """All rows of `system`, every field filled (missing ones with their default)."""
        spec = _COMMON | FIELDS[system]
        blocks = self._blocks.pop(system)
        out = {}
        for name, (dtype, fill) in spec.items():
            parts = [_field(b, name, dtype, fill) for b in blocks]
            out[name] = np.concatenate(parts) if parts else np.empty(0, dtype)
        return out
