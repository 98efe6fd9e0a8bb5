"""The Slack outbox: messages queued in the same transaction as the change they announce, sent later.

Kinds: `post_parent` (one per exception, in the owner's channel), `thread_reply` (under it), `update_parent`
(an edit of it), `escalation` (to an escalation channel), and `alert` (a pipeline alert to the data team, about
no exception: `exception_id` is null). The unique `idempotency_key` is built from what the message is about
(`<fingerprint>:<kind>:<what>`: the exception, its occurrence, the divergences, the step; `alert:<key>` for an
alert), so queuing the same message twice is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dagster_project.store.models import ExceptionRow, SlackOutbox
from dagster_project.store.payloads import jsonable
from dagster_project.store.queries import chunks
from dagster_project.store.store import Store
from dagster_project.store.utc import utc_now


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    exception_id: int | None  # None for an alert
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
        self._add(f"{exception.fingerprint}:{kind}:{key}", exception.id, kind, channel or exception.channel, payload)

    def queue_alert(self, key: str, channel: str, payload: dict[str, Any]) -> None:
        """A pipeline alert (about no exception) to `channel`, keyed `alert:<key>`."""
        self._add(f"alert:{key}", None, "alert", channel, payload)

    def _add(
        self, idempotency_key: str, exception_id: int | None, kind: str, channel: str, payload: dict[str, Any]
    ) -> None:
        self._rows.setdefault(
            idempotency_key,
            {
                "exception_id": exception_id,
                "kind": kind,
                "channel": channel,
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


def _with_parents(session: Session, rows: list[SlackOutbox]) -> list[OutboxMessage]:
    """The rows as messages, each reply or edit with its exception's sent parent ts."""
    parents = _parent_ts(session, {row.exception_id for row in rows if row.kind in ("thread_reply", "update_parent")})
    return [OutboxMessage.of(row, parents.get(row.exception_id)) for row in rows]


def pending_messages(store: Store, limit: int = 100) -> list[OutboxMessage]:
    """Messages to send, oldest first (an exception's parent always comes before its replies and edits)."""
    with store.session() as session:
        rows = session.scalars(
            select(SlackOutbox).where(SlackOutbox.status == "pending").order_by(SlackOutbox.id).limit(limit)
        ).all()
        return _with_parents(session, rows)


def claim_pending(
    store: Store, *, owner: str, now: datetime, lease: timedelta, limit: int = 100, after_id: int = 0
) -> list[OutboxMessage]:
    """Like `pending_messages`, but each message returned is leased to `owner` until `now + lease`: another
    delivery pass skips it meanwhile, so two passes at once never send one message twice. `mark_sent` and
    `mark_failed` end the lease, `release` gives back what was not sent; a crashed pass's lease runs out."""
    with store.transaction() as session:
        free = or_(SlackOutbox.claimed_until.is_(None), SlackOutbox.claimed_until <= now)
        ids = session.scalars(
            select(SlackOutbox.id)
            .where(SlackOutbox.status == "pending", SlackOutbox.id > after_id, free)
            .order_by(SlackOutbox.id)
            .limit(limit)
        ).all()
        if not ids:
            return []
        session.execute(
            update(SlackOutbox)
            .where(SlackOutbox.id.in_(ids))
            .values(claimed_by=owner, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        rows = session.scalars(select(SlackOutbox).where(SlackOutbox.id.in_(ids)).order_by(SlackOutbox.id)).all()
        return _with_parents(session, rows)


def release(store: Store, message_ids: list[int], *, owner: str) -> None:
    """End `owner`'s lease on these messages (left pending: not attempted, or waiting for their parent)."""
    if not message_ids:
        return
    with store.transaction() as session:
        session.execute(
            update(SlackOutbox)
            .where(SlackOutbox.id.in_(message_ids), SlackOutbox.claimed_by == owner)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def _pending(session: Session, message_id: int) -> SlackOutbox | None:
    row = session.get(SlackOutbox, message_id)
    if row is None:
        raise KeyError(f"no outbox message with id {message_id}")
    return row if row.status == "pending" else None


def mark_sent(
    store: Store,
    message_id: int,
    *,
    message_ts: str,
    thread_ts: str | None = None,
    channel_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record that Slack accepted the message, with the channel id it answered with (for permalinks); a message
    already sent keeps its first record."""
    with store.transaction() as session:
        row = _pending(session, message_id)
        if row is not None:
            row.status, row.message_ts, row.thread_ts, row.channel_id = "sent", message_ts, thread_ts, channel_id
            row.claimed_by = row.claimed_until = None
            row.attempts += 1
            row.sent_at = now or utc_now()


def mark_failed(store: Store, message_id: int, *, error: str, final: bool) -> str:
    """Record a failed attempt and its error. `final` (Slack refused the message itself: a missing channel, a
    scope) makes it `failed`, kept with its error and not retried; otherwise it stays pending, to be retried
    however long Slack is down. Returns its status."""
    with store.transaction() as session:
        row = _pending(session, message_id)
        if row is None:
            return session.get(SlackOutbox, message_id).status
        row.attempts += 1
        row.last_error = error
        row.claimed_by = row.claimed_until = None
        if final:
            row.status = "failed"
        return row.status


@dataclass(frozen=True)
class ExceptionThread:
    """An exception and where its parent message is in Slack: `channel_id` and `message_ts` are None until Slack
    accepted it (and for parents sent before channel ids were recorded)."""

    exception_id: int
    cluster_id: str
    rule: str | None
    classification: str | None
    owner_team: str
    severity: str
    scope: dict[str, str]  # the dimensions it is about that are set: carrier, zone, payment_mode, system
    channel_id: str | None
    message_ts: str | None


def _threads(session: Session, where: ColumnElement[bool]) -> list[ExceptionThread]:
    parent = and_(
        SlackOutbox.exception_id == ExceptionRow.id,
        SlackOutbox.kind == "post_parent",
        SlackOutbox.status == "sent",
        SlackOutbox.channel_id.is_not(None),
    )
    rows = session.execute(
        select(ExceptionRow, SlackOutbox.channel_id, SlackOutbox.message_ts)
        .outerjoin(SlackOutbox, parent)
        .where(where)
        .order_by(ExceptionRow.id)
    )
    return [
        ExceptionThread(
            exception_id=row.id,
            cluster_id=row.cluster_id,
            rule=row.rule,
            classification=row.classification,
            owner_team=row.owner_team,
            severity=row.severity,
            scope={
                name: value
                for name in ("carrier", "zone", "payment_mode", "system")
                if (value := getattr(row, name)) is not None
            },
            channel_id=channel_id,
            message_ts=message_ts,
        )
        for row, channel_id, message_ts in rows
    ]


def cluster_threads(store: Store, cluster_ids: list[str]) -> dict[str, ExceptionThread]:
    """The exceptions of these clusters, by cluster id (a cluster without one is left out)."""
    with store.session() as session:
        return {
            thread.cluster_id: thread
            for chunk in chunks(cluster_ids)
            for thread in _threads(session, ExceptionRow.cluster_id.in_(chunk))
        }


def threads_opened_since(store: Store, since: datetime) -> list[ExceptionThread]:
    """Exceptions first opened at or after `since` (a sync's `now`: the ones it opened), oldest first."""
    with store.session() as session:
        return _threads(session, ExceptionRow.created_at >= since)
