"""Rows of the marts as the sync receives them, and a few readers of the store's tables for assertions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from dagster_project.store import Store
from dagster_project.store.models import AuditEvent, ExceptionDivergence, ExceptionRow, SlackOutbox

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
# Naive, as DuckDB hands the marts' timestamps over.
START = datetime(2026, 3, 1, 8, 0)


def divergence(
    divergence_id: str,
    cluster_id: str = "c-north",
    *,
    status: str = "open",
    queue: str = "action",
    severity: str = "medium",
    exposure: str = "1000.00",
    order_id: str | None = None,
    resolved_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A fct_divergences row (every INTERFACES.md column), a delivery conflict on bluekite unless told."""
    row = {
        "divergence_id": divergence_id,
        "order_id": order_id or f"order-{divergence_id}",
        "rule": "delivery_status_conflict",
        "classification": "unknown",
        "queue": queue,
        "queue_reason": "cancelled" if queue == "informational" else None,
        "status": status,
        "divergence_start": START,
        "resolved_at": resolved_at if resolved_at is not None else (START + 5 * HOUR if status == "resolved" else None),
        "systems": "oms,carrier",
        "expected_state": "delivered",
        "observed_state": "out_for_delivery",
        "owner_team": "logistics_ops",
        "severity": severity,
        "sla_due_at": START + 24 * HOUR,
        "exposure_amount": Decimal(exposure),
        "currency": "INR",
        "carrier": "bluekite",
        "zone": "north",
        "region": "north",
        "warehouse_id": "wh-1",
        "sku_category": "electronics",
        "payment_mode": "prepaid",
        "vendor_type": "1p",
        "cluster_id": cluster_id,
        "summary": f"Divergence {divergence_id}.",
    }
    row.update(extra)
    return row


def cluster(cluster_id: str = "c-north", **extra: Any) -> dict[str, Any]:
    """A fct_divergence_clusters row (counts are not read by the sync)."""
    row = {
        "cluster_id": cluster_id,
        "rule": "delivery_status_conflict",
        "classification": "unknown",
        "owner_team": "logistics_ops",
        "carrier": "bluekite",
        "zone": "north",
        "payment_mode": None,
        "system": None,
        "bucket_grain": "hour",
        "bucket_start": START,
        "divergences": 1,
        "orders": 1,
        "open_divergences": 1,
        "action_divergences": 1,
        "exposure_amount": Decimal("1000.00"),
        "currency": "INR",
        "max_severity": "medium",
        "first_seen_at": START,
        "last_seen_at": START,
    }
    row.update(extra)
    return row


def clusters_of(divergences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = sorted({row["cluster_id"] for row in divergences})
    return [cluster(cluster_id) for cluster_id in ids]


def exceptions(store: Store) -> list[ExceptionRow]:
    with store.session() as session:
        return list(session.scalars(select(ExceptionRow).order_by(ExceptionRow.id)))


def exception(store: Store, exception_id: int = 1) -> ExceptionRow:
    with store.session() as session:
        return session.get(ExceptionRow, exception_id)


def links(store: Store, exception_id: int = 1) -> dict[str, ExceptionDivergence]:
    with store.session() as session:
        rows = session.scalars(select(ExceptionDivergence).where(ExceptionDivergence.exception_id == exception_id))
        return {row.divergence_id: row for row in rows}


def audit(store: Store) -> list[tuple]:
    """(id, exception_id, actor, action, from_state, to_state, reason) of every audit event."""
    with store.session() as session:
        return [
            (e.id, e.exception_id, e.actor, e.action, e.from_state, e.to_state, e.reason)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def outbox(store: Store) -> list[tuple]:
    """(id, exception_id, kind, channel, idempotency key without the fingerprint) of every queued message."""
    with store.session() as session:
        return [
            (m.id, m.exception_id, m.kind, m.channel, m.idempotency_key.split(":", 1)[1])
            for m in session.scalars(select(SlackOutbox).order_by(SlackOutbox.id))
        ]


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, in key order: two dumps are equal when nothing changed."""
    order = {
        "exceptions": "id",
        "exception_divergences": "exception_id, divergence_id",
        "audit_events": "id",
        "slack_outbox": "id",
    }
    with store.engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"select * from {table} order by {key}"))]
            for table, key in order.items()
        }
