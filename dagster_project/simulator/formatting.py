"""Event rows -> text columns in contract order (SOURCE_CONTRACT.md), for one batch at a time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import field_names
from dagster_project.simulator.keys import Keys, join, scramble, text
from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.vocab import (
    ACTORS,
    CALLS,
    CARRIERS,
    COD,
    CRM_EVENT_TYPES,
    CRM_REF_PREFIXES,
    CURRENCIES,
    LOCATIONS,
    NDR_REASONS,
    OFFSETS,
    OUTCOMES,
    PAYMENT_MODES,
    REGIONS,
    SKU_CATEGORIES,
    STATUSES,
    VENDOR_TYPES,
    WAREHOUSES,
    ZONES,
)

EVENT_ID_PREFIX = {
    "oms": "oms-ev-",
    "wms": "wms_",
    "carrier": "trk",
    "crm": "crm-",
    "payments": "evt_",
    "erp": "ERP",
    "integration_log": "il-",
}
EXTRA_COLUMNS = {"oms": ("channel",)}  # beyond the contract: ingestion keeps them in `extras`
CHANNELS = ("web", "android", "ios")
# Spare event ids past the real rows, for mangled copies that must not collide with a real event.
SPARE_IDS = 1_000_000

_OFFSET_SECONDS = np.array([s for _, s in OFFSETS], np.int64)
_OFFSET_SUFFIX = pa.array([suffix for suffix, _ in OFFSETS])


def _codes(values, valid=None) -> pa.Array:
    values = np.asarray(values)
    return pa.array(values, mask=None if valid is None else ~np.asarray(valid))


def only(valid, values: pa.Array) -> pa.Array:
    """`values` where `valid`, null elsewhere (`valid` None: everywhere)."""
    return values if valid is None else pc.if_else(_codes(valid), values, pa.scalar(None, pa.string()))


def lookup(table, codes, valid=None) -> pa.Array:
    """`table[code]` per row, null where not `valid`."""
    return pa.array(table).take(_codes(codes, valid))


def iso(ts: np.ndarray, offset: np.ndarray, valid=None) -> pa.Array:
    """ISO 8601 with the row's offset: the wall-clock time at that offset, then the offset itself."""
    local = pa.array((ts + _OFFSET_SECONDS[offset]).astype("datetime64[s]"))
    wall = pc.utf8_replace_slice(pc.cast(local, pa.string()), 10, 11, "T")
    return only(valid, join(wall, _OFFSET_SUFFIX.take(pa.array(offset))))


def money(amount: np.ndarray, valid=None) -> pa.Array:
    """Minor units -> '1299.50'."""
    amount = np.maximum(amount, 0)
    return only(valid, join(text(amount // 100), ".", pc.utf8_lpad(text(amount % 100), width=2, padding="0")))


def event_ids(system: str, row_ids: np.ndarray, total_rows: int) -> pa.Array:
    numbers = 10**11 + scramble(row_ids, total_rows + SPARE_IDS, 7 + len(system))
    return join(EVENT_ID_PREFIX[system], text(numbers))


@dataclass
class Formatter:
    """Turns rows of one system's event arrays into the batch's text table."""

    system: str
    events: dict[str, np.ndarray]
    orders: Orders
    keys: Keys
    promised_by: np.ndarray

    def table(self, rows: np.ndarray, row_ids: np.ndarray | None = None) -> pa.Table:
        """Text table of `rows`; `row_ids` (default: the rows) name the event ids, so a copy can get a
        fresh id."""
        ev = {name: values[rows] for name, values in self.events.items()}
        ids = rows if row_ids is None else row_ids
        cols = {
            "event_id": event_ids(self.system, ids, len(self.events["ts"])),
            "event_ts": iso(ev["ts"], ev["offset"]),
            "recorded_at": iso(ev["recorded"], ev["offset"], ev["has_recorded"]),
            "actor": lookup(ACTORS, ev["actor"]),
        }
        cols |= getattr(self, f"_{self.system}")(ev)
        return pa.table(
            {name: cols[name] if name in cols else pa.nulls(len(rows), pa.string()) for name in self.columns}
        )

    @property
    def columns(self) -> list[str]:
        """Contract fields in contract order, then the extras this system sends."""
        return list(field_names(self.system) + EXTRA_COLUMNS.get(self.system, ()))

    def _order_ids(self, order: np.ndarray) -> pa.Array:
        return self.keys.order_ids.take(_codes(order, order >= 0))

    def _dim(self, table, values: np.ndarray, order: np.ndarray, valid: np.ndarray) -> pa.Array:
        return lookup(table, values[np.where(valid, order, 0)], valid)

    def _status(self, ev) -> pa.Array:
        return lookup(STATUSES[self.system], ev["status"], ev["status"] >= 0)

    def _awb_and_carrier(self, ev) -> dict[str, pa.Array]:
        has = ev["awb"] >= 0
        carrier = self.orders.carrier[np.where(has, ev["order"], 0)]
        return {"awb": self.keys.awbs.take(_codes(ev["awb"], has)), "carrier": lookup(CARRIERS, carrier, has)}

    def _oms(self, ev) -> dict[str, pa.Array]:
        order, o = ev["order"], self.orders
        created = ev["status"] == STATUSES["oms"].index("CREATED")
        safe = np.where(created, order, 0)
        return {
            "order_id": self._order_ids(order),
            "status": self._status(ev),
            "amount": money(o.amount[safe], created),
            "currency": lookup(CURRENCIES, np.zeros(len(order), np.int8), created),
            "payment_mode": self._dim(PAYMENT_MODES, o.payment_mode, order, created),
            "sku_category": self._dim(SKU_CATEGORIES, o.sku, order, created),
            "warehouse_id": self._dim(WAREHOUSES, o.warehouse, order, created),
            "vendor_type": self._dim(VENDOR_TYPES, o.vendor, order, created),
            "region": self._dim(REGIONS, o.region, order, created),
            "zone": self._dim(ZONES, o.zone, order, created),
            "promised_by": iso(self.promised_by[safe], ev["offset"], created),
            "channel": lookup(CHANNELS, order % len(CHANNELS), created),
        } | self._awb_and_carrier(ev)

    def _wms(self, ev) -> dict[str, pa.Array]:
        order = ev["order"]
        return {
            "order_id": self._order_ids(order),
            "status": self._status(ev),
            "warehouse_id": self._dim(WAREHOUSES, self.orders.warehouse, order, order % 10 < 7),
            "awb": self.keys.awbs.take(_codes(ev["awb"], ev["awb"] >= 0)),
        }

    def _carrier(self, ev) -> dict[str, pa.Array]:
        order, status = ev["order"], ev["status"]
        ndr = status == STATUSES["carrier"].index("NDR")
        spread = order.astype(np.int64) * 7 + ev["ts"] // 3600
        return {
            "awb": self.keys.awbs.take(pa.array(ev["awb"])),
            "carrier": lookup(CARRIERS, ev["carrier"]),
            "status": self._status(ev),
            "ndr_reason": lookup(NDR_REASONS, spread % len(NDR_REASONS), ndr),
            "location": lookup(LOCATIONS, spread % len(LOCATIONS), spread % 7 != 0),
        }

    def _crm(self, ev) -> dict[str, pa.Array]:
        order, etype = ev["order"], ev["etype"]
        style = self.orders.crm_style[order]
        has_ticket = ev["ticket"] >= 0
        tickets = scramble(order.astype(np.int64) * 4 + np.maximum(ev["ticket"], 0), 4 * self.orders.n, 3)
        return {
            "order_ref": join(lookup(CRM_REF_PREFIXES, style), self.keys.digits.take(pa.array(order))),
            "event_type": lookup(CRM_EVENT_TYPES, etype),
            "status": lookup(STATUSES["crm"], ev["status"], (etype == 0) & (ev["status"] >= 0)),
            "ticket_id": only(has_ticket, join("TCK-", text(10**8 + tickets))),
        }

    def _payments(self, ev) -> dict[str, pa.Array]:
        order = ev["order"]
        cod = np.zeros(len(order), bool)
        real = order < self.orders.n
        cod[real] = self.orders.payment_mode[order[real]] == COD
        prefix = lookup(("pay_", "cod_"), cod.astype(np.int8))
        return self._money(ev) | {"payment_id": join(prefix, text(10**9 + scramble(order, 10**9, 11)))}

    def _erp(self, ev) -> dict[str, pa.Array]:
        invoices = 10**7 + scramble(ev["order"], 9 * 10**7, 5)
        return self._money(ev) | {"invoice_id": join("INV-", text(invoices))}

    def _money(self, ev) -> dict[str, pa.Array]:
        return {
            "order_id": self._order_ids(ev["order"]),
            "status": self._status(ev),
            "amount": money(ev["amount"]),
            "currency": lookup(CURRENCIES, ev["currency"]),
        }

    def _integration_log(self, ev) -> dict[str, pa.Array]:
        calls = np.asarray(CALLS)
        http = ev["http"]
        return {
            "source_system": lookup(calls[:, 0], ev["call"]),
            "target_system": lookup(calls[:, 1], ev["call"]),
            "order_id": self._order_ids(ev["order"]),
            "endpoint": lookup(calls[:, 2], ev["call"]),
            "http_status": only(http >= 0, text(http)),
            "attempt": text(ev["attempt"]),
            "outcome": lookup(OUTCOMES, ev["outcome"]),
        }
