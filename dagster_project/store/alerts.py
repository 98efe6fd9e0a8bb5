"""Pipeline alerts (a failed run, a failed asset check) queued in the Slack outbox, like exception messages, so a
Slack outage loses none.

An alert is about no exception (`exception_id` is null, kind `alert`). Its idempotency key is `alert:<key>`, with
`key` naming what happened once (`run_failed:<run id>`), so a sensor that sees the same failure twice, or a
cursor reset, queues nothing more. Each alert actually queued is audited in the same transaction (actor
`system:alerts`, action `alerted`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dagster_project.store.audit import append_audit
from dagster_project.store.models import SlackOutbox
from dagster_project.store.outbox import Outbox, OutboxMessage
from dagster_project.store.store import Store
from dagster_project.store.utc import as_utc

ALERTS_ACTOR = "system:alerts"
# `alert:` + key must fit the outbox's idempotency_key column.
MAX_KEY = SlackOutbox.__table__.c.idempotency_key.type.length - len("alert:")


def queue_alert(
    store: Store, *, key: str, channel: str, payload: dict[str, Any], now: datetime
) -> OutboxMessage | None:
    """Queue an alert to `channel` (`payload` is data: `event` and its facts; the Slack side renders it) and audit
    it. Returns the message, or None when an alert with this key was queued before (nothing is written)."""
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"an alert key has 1 to {MAX_KEY} characters, got {len(key)}: {key[:80]!r}")
    now = as_utc(now)
    with store.transaction() as session:
        outbox = Outbox(session, now)
        outbox.queue_alert(key, channel, payload)
        added = outbox.write()
        if not added:
            return None
        (message,) = added
        append_audit(
            session,
            at=now,
            actor=ALERTS_ACTOR,
            action="alerted",
            details={"key": key, "channel": channel, "outbox_id": message.id, "payload": payload},
        )
        return message
