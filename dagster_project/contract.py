"""The landing-zone source contract (../shared/design/SOURCE_CONTRACT.md) as data.

One place says which systems exist, which fields each one carries, their types, and when a field is
required. The raw DuckDB tables, the Great Expectations contract suites and the simulator are all
built from it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEMS: tuple[str, ...] = ("oms", "wms", "carrier", "crm", "payments", "erp", "integration_log")

# Raw column types. Every landing value arrives as text (CSV) or JSON scalars; these are the types the
# raw tables store after the contract check.
TEXT, TIMESTAMP, DECIMAL, INTEGER = "text", "timestamp", "decimal", "integer"


@dataclass(frozen=True)
class Field:
    name: str
    type: str = TEXT
    required: bool = False
    # Required only on rows whose `when_field` value is one of `when_values` (e.g. amount on CREATED).
    when_field: str | None = None
    when_values: tuple[str, ...] = ()

    @property
    def always_required(self) -> bool:
        return self.required and self.when_field is None


def _on(field_name: str, *values: str):
    return {"required": True, "when_field": field_name, "when_values": values}


COMMON_FIELDS: tuple[Field, ...] = (
    Field("event_id", required=True),
    Field("event_ts", TIMESTAMP, required=True),
    Field("recorded_at", TIMESTAMP),
    Field("actor"),
)

_CREATED = _on("status", "CREATED")
_SHIPPED = _on("status", "SHIPPED", "REPLACEMENT_CREATED")

SYSTEM_FIELDS: dict[str, tuple[Field, ...]] = {
    "oms": (
        Field("order_id", required=True),
        Field("status", required=True),
        Field("amount", DECIMAL, **_CREATED),
        Field("currency", **_CREATED),
        Field("payment_mode", **_CREATED),
        Field("sku_category", **_CREATED),
        Field("warehouse_id", **_CREATED),
        Field("vendor_type", **_CREATED),
        Field("region", **_CREATED),
        Field("zone", **_CREATED),
        Field("promised_by", TIMESTAMP, **_CREATED),
        Field("awb", **_SHIPPED),
        Field("carrier", **_SHIPPED),
    ),
    "wms": (
        Field("order_id", required=True),
        Field("status", required=True),
        Field("warehouse_id"),
        Field("awb"),
    ),
    "carrier": (
        Field("awb", required=True),
        Field("carrier", required=True),
        Field("status", required=True),
        Field("ndr_reason", **_on("status", "NDR")),
        Field("location"),
    ),
    "crm": (
        Field("order_ref", required=True),
        Field("event_type", required=True),
        Field("status", **_on("event_type", "status_update")),
        # "Ticket events" are the two that name a ticket; exchange/refund requests may carry one.
        Field("ticket_id", **_on("event_type", "ticket_opened", "ticket_resolved")),
    ),
    "payments": (
        Field("order_id", required=True),
        Field("payment_id", required=True),
        Field("status", required=True),
        Field("amount", DECIMAL, required=True),
        Field("currency", required=True),
    ),
    "erp": (
        Field("order_id", required=True),
        Field("invoice_id", required=True),
        Field("status", required=True),
        Field("amount", DECIMAL, required=True),
        Field("currency", required=True),
    ),
    "integration_log": (
        Field("source_system", required=True),
        Field("target_system", required=True),
        Field("order_id"),
        Field("endpoint"),
        Field("http_status", INTEGER),
        Field("attempt", INTEGER),
        Field("outcome", required=True),
    ),
}


def fields(system: str) -> tuple[Field, ...]:
    """Every contract field of `system`, common fields first, in raw-table column order."""
    return COMMON_FIELDS + SYSTEM_FIELDS[system]


def field_names(system: str) -> tuple[str, ...]:
    return tuple(f.name for f in fields(system))
