"""The Slack outbox: messages queued in the same transaction as the change they announce, sent later.

Kinds: `post_parent` (one per exception, in the owner's channel), `thread_reply` (under it), `update_parent`
(an edit of it), `escalation` (to an escalation channel). The unique `idempotency_key` is built from what the
message is about (`<fingerprint>:<kind>:<what>`: the exception, its occurrence, the divergences, the step),
so queuing the same message twice is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dagster_project.store.models import ExceptionRow, SlackOutbox
from dagster_project.store.payloads import jsonable
from dagster_project.store.store import Store
from dagster_project.store.utc import utc_now

# A message that failed this many times stays `failed` (kept, with its last error) and is not retried.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    exception_id: int
    kind: str
    channel: str
    idempotency_key: str
    payload: dict[str, Any]
    status: str = "pending"
    attempts: int = 0
    # The exception's parent message once it is sent: reply under it (thread_reply), edit it (update_parent).
    parent_ts: str | None = None

    @classmethod
    def of(cls, row: SlackOutbox, parent_ts: str | None = None) -> OutboxMessage:
        return cls(
            id=row.id,
            exception_id=row.exception_id,
            kind=row.kind,
            channel=row.channel,
            idempotency_key=row.idempotency_key,
            payload=row.payload,
            status=row.status,
            attempts=row.attempts,
            parent_ts=parent_ts,
        )


class Outbox:
    """The messages one transaction queues, written at its end by one `INSERT ... ON CONFLICT DO NOTHING`:
    a key already in the table, or queued twice here, is skipped, so no message is ever queued twice."""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now = session, now
        self._rows: dict[str, dict[str, Any]] = {}

    def queue(
        self, exception: ExceptionRow, kind: str, key: str, payload: dict[str, Any], channel: str | None = None
    ) -> None:
        """A message about `exception` (to its channel unless told), keyed `<fingerprint>:<kind>:<key>`."""
        idempotency_key = f"{exception.fingerprint}:{kind}:{key}"
        self._rows.setdefault(
            idempotency_key,
            {
                "exception_id": exception.id,
                "kind": kind,
                "channel": channel or exception.channel,
                "payload": jsonable(payload),
                "status": "pending",
                "attempts": 0,
                "created_at": self.now,
                "idempotency_key": idempotency_key,
            },
        )

    def write(self) -> tuple[OutboxMessage, ...]:
        """Insert what was queued; returns the messages actually added, in id order."""
        if not self._rows:
            return ()
        dialect = self.session.get_bind().dialect.name
        insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SlackOutbox.__table__)
        statement = insert.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
            SlackOutbox.id, SlackOutbox.idempotency_key
        )
        added = sorted(self.session.execute(statement, list(self._rows.values())).all())
        rows, self._rows = self._rows, {}
        return tuple(
            OutboxMessage(
                id=message_id,
                exception_id=rows[key]["exception_id"],
                kind=rows[key]["kind"],
                channel=rows[key]["channel"],
                idempotency_key=key,
                payload=rows[key]["payload"],
            )
            for message_id, key in added
        )


def _parent_ts(session: Session, exception_ids: set[int]) -> dict[int, str]:
    if not exception_ids:
        return {}
    rows = session.execute(
        select(SlackOutbox.exception_id, SlackOutbox.message_ts).where(
            SlackOutbox.kind == "post_parent",
            SlackOutbox.status == "sent",
            SlackOutbox.exception_id.in_(exception_ids),
        )
    )
    return {exception_id: message_ts for exception_id, message_ts in rows}


def pending_messages(store: Store, limit: int = 100) -> list[OutboxMessage]:
    """Messages to send, oldest first (an exception's parent always comes before its replies and edits)."""
    with store.session() as session:
        rows = session.scalars(
            select(SlackOutbox).where(SlackOutbox.status == "pending").order_by(SlackOutbox.id).limit(limit)
        ).all()
        parents = _parent_ts(
            session, {row.exception_id for row in rows if row.kind in ("thread_reply", "update_parent")}
        )
        return [OutboxMessage.of(row, parents.get(row.exception_id)) for row in rows]


def _pending(session: Session, message_id: int) -> SlackOutbox | None:
    row = session.get(SlackOutbox, message_id)
    if row is None:
        raise KeyError(f"no outbox message with id {message_id}")
    return row if row.status == "pending" else None


def mark_sent(
    store: Store, message_id: int, *, message_ts: str, thread_ts: str | None = None, now: datetime | None = None
) -> None:
    """Record that Slack accepted the message; a message already sent keeps its first record."""
    with store.transaction() as session:
        row = _pending(session, message_id)
        if row is not None:
            row.status, row.message_ts, row.thread_ts = "sent", message_ts, thread_ts
            row.attempts += 1
            row.sent_at = now or utc_now()


def mark_failed(store: Store, message_id: int, *, error: str, max_attempts: int = MAX_ATTEMPTS) -> str:
    """Record a failed attempt; after `max_attempts` the message is `failed`. Returns its status."""
    with store.transaction() as session:
        row = _pending(session, message_id)
        if row is None:
            return session.get(SlackOutbox, message_id).status
        row.attempts += 1
        row.last_error = error
        if row.attempts >= max_attempts:
            row.status = "failed"
        return row.status
