"""What a replay is asked to do: its kind and scope, the lock units it covers, and its idempotency key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError
from dagster_project.marts import normalise_order_id

KINDS = ("quarantine", "orders", "remap")


@dataclass(frozen=True)
class ReplayRequest:
    """`quarantine`: quarantined rows and files, optionally of some `systems` or `files` (sha256 or path);
    `orders`: the given `orders`; `remap`: every native status whose mapping in recon.yaml differs from the one
    the marts were built with (found at dry-run time, in `statuses`)."""

    kind: str
    systems: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    # remap: (system, native_status, canonical_state before, canonical_state after), filled in by the dry run.
    statuses: tuple[tuple[str, str, str | None, str | None], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ReconError(f"unknown replay kind {self.kind!r}: use one of {', '.join(KINDS)}")
        unknown = sorted(set(self.systems) - set(SYSTEMS))
        if unknown:
            raise ReconError(f"unknown system {unknown[0]!r}: use one of {', '.join(SYSTEMS)}")
        if self.kind == "orders" and not self.orders:
            raise ReconError("nothing to replay: give the orders to resync (--order ORDER_ID, repeatable)")
        object.__setattr__(self, "orders", tuple(dict.fromkeys(normalise_order_id(o) for o in self.orders)))

    def scope(self) -> dict[str, Any]:
        scope: dict[str, Any] = {"kind": self.kind}
        if self.systems:
            scope["systems"] = sorted(self.systems)
        if self.files:
            scope["files"] = sorted(self.files)
        if self.orders:
            scope["orders"] = sorted(self.orders)
        if self.statuses:
            scope["statuses"] = [list(s) for s in sorted(self.statuses, key=lambda s: (s[0], s[1]))]
        return scope

    def units(self) -> list[str]:
        """Lock units. Every replay rebuilds the marts in the one embedded warehouse, so every replay also
        takes `warehouse`: on DuckDB two executes always overlap there, and the second is refused."""
        units = ["warehouse"]
        units += [f"order:{order}" for order in sorted(self.orders)]
        units += [f"status:{system}:{native}" for system, native, *_ in sorted(self.statuses)]
        units += [f"file:{file}" for file in sorted(self.files)]
        units += [f"quarantine:{system}" for system in sorted(self.systems)]
        return units
