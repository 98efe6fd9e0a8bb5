"""The operational store's tables (SQLAlchemy 2). The schema itself is made by the migrations in `migrations/`;
tests/store/test_migrations.py checks the two agree."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dagster_project.store.states import STATES
from dagster_project.store.utc import UtcDateTime

SEVERITIES = ("high", "medium", "low")
DIVERGENCE_STATUSES = ("open", "resolved")
# `alert`: a pipeline alert (a failed run, a failed asset check) to the data team, about no exception.
OUTBOX_KINDS = ("post_parent", "thread_reply", "update_parent", "escalation", "alert")
OUTBOX_STATUSES = ("pending", "sent", "failed")
# Replays (store/replays.py): `quarantine` re-ingests quarantined rows or files, `orders` resyncs given orders,
# `remap` rebuilds what a status_map change touched. A replay runs, then is verified or failed.
REPLAY_KINDS = ("quarantine", "orders", "remap")
REPLAY_STATUSES = ("running", "verified", "failed")

# Named constraints, so later migrations can alter them (SQLite batch mode needs the names).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExceptionRow(Base):
    """One per action cluster, keyed by its fingerprint; `occurrence` counts its open episodes (1 + reopens)."""

    __tablename__ = "exceptions"
    __table_args__ = (
        CheckConstraint(one_of("state", STATES), name="state"),
        CheckConstraint(one_of("severity", SEVERITIES), name="severity"),
        Index(None, "state", "sla_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    cluster_id: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(32))
    occurrence: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(64))
    classification: Mapped[str | None] = mapped_column(String(32))
    owner_team: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    zone: Mapped[str | None] = mapped_column(String(64))
    payment_mode: Mapped[str | None] = mapped_column(String(64))
    system: Mapped[str | None] = mapped_column(String(64))
    bucket_grain: Mapped[str | None] = mapped_column(String(16))
    bucket_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    severity: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sla_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    escalation_step: Mapped[int] = mapped_column(Integer)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(255))
    assignee: Mapped[str | None] = mapped_column(String(255))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_reason: Mapped[str | None] = mapped_column(Text)


class ExceptionDivergence(Base):
    """A divergence linked to an exception, as the sync last saw it in the marts."""

    __tablename__ = "exception_divergences"
    __table_args__ = (CheckConstraint(one_of("status", DIVERGENCE_STATUSES), name="status"),)

    exception_id: Mapped[int] = mapped_column(ForeignKey("exceptions.id"), primary_key=True)
    divergence_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    cluster_id: Mapped[str] = mapped_column(String(255))
    order_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))
    exposure_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(8))
    divergence_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when the divergence left its cluster's action rows (gone from the mart, or now informational).
    vanished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """Append-only and hash-chained: `hash` = sha256(prev_hash + canonical JSON of the other fields)."""

    __tablename__ = "audit_events"

    # Assigned by the store (previous id + 1, under the write lock), never by a sequence: no gaps, so a
    # missing id is a deleted row.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("exceptions.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SlackOutbox(Base):
    """A Slack message to send; `idempotency_key` is unique, so the same message is never queued twice.
    `exception_id` is null for alerts, which are about no exception."""

    __tablename__ = "slack_outbox"
    __table_args__ = (
        CheckConstraint(one_of("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("exceptions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_ts: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    # A delivery pass's lease on the message (outbox.claim_pending): no other pass sends it meanwhile.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The channel id Slack answered with (`channel` may be a name): with `message_ts`, the message's permalink.
    channel_id: Mapped[str | None] = mapped_column(String(64))


class Replay(Base):
    """One executed replay (a dry-run writes nothing), keyed by its idempotency key: a key already `verified` is
    not executed again; a `failed` one is retried in the same row (`attempts` + 1)."""

    __tablename__ = "replays"
    __table_args__ = (
        CheckConstraint(one_of("kind", REPLAY_KINDS), name="kind"),
        CheckConstraint(one_of("status", REPLAY_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The lock units the current attempt took (`warehouse`, `order:<id>`, `file:<sha256>`, ...).
    units: Mapped[list[str]] = mapped_column(JSON)
    operator: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    # What the dry-run promised; `verification` what the post-replay suite found (null while running).
    diff: Mapped[dict[str, Any]] = mapped_column(JSON)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    run_id: Mapped[str | None] = mapped_column(String(64))


class ReplayLock(Base):
    """A unit of scope held by a running replay until it finishes, or until `expires_at` after a crash."""

    __tablename__ = "replay_locks"

    unit: Mapped[str] = mapped_column(String(255), primary_key=True)
    replay_id: Mapped[int] = mapped_column(ForeignKey("replays.id"), index=True)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target: AuditEvent) -> None:
    raise RuntimeError(f"audit event {target.id}: the audit trail is append-only; it is never updated or deleted")
