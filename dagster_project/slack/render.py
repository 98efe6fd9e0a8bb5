"""From the store's outbox rows to Slack messages.

The store queues what happened, as data: `{"event": ..., "exception": <snapshot>, ...}` (see
`dagster_project.store.payloads`); this module picks the Block Kit message for it. Pure, like
`blocks`: `now` is given (an escalation says how long ago the SLA passed).

- `post_parent` (opened): `format_exception_blocks`.
- `thread_reply`: `format_thread_reply`, with the new divergences (attached) and, for any other
  event (reopened, acknowledged, ...), the state change.
- `update_parent`: `format_resolved_update` once the exception is closed (resolved, auto_resolved,
  ignored_with_reason); otherwise `format_exception_blocks` as it now stands (acknowledged by,
  assigned to, a new severity), buttons included.
- `escalation`: `format_escalation`.

A quarantined file's exception (rule `schema_drift`, no divergences) has its own parent message, posted and
edited: `format_file_exception_blocks`, with the payload's `file` when it has one.

An `alert` (a failed run or asset check, for the data team; about no exception) is `format_pipeline_alert`,
posted as a new top-level message (Slack side kind `post_parent`: it has no parent to reply under or edit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dagster_project.config import DATA_TEAM
from dagster_project.slack.blocks import (
    CLOSED_STATES,
    SCHEMA_DRIFT,
    format_escalation,
    format_exception_blocks,
    format_file_exception_blocks,
    format_pipeline_alert,
    format_resolved_update,
    format_thread_reply,
)
from dagster_project.slack.outbox import OutboxItem, OutboxKind


def render_payload(kind: str, payload: Mapping[str, Any], *, now: datetime) -> dict:
    """The `{"text", "blocks"}` message for one queued payload; a payload that already is one is kept."""
    if kind == OutboxKind.ALERT:
        return format_pipeline_alert(payload)
    if "exception" not in payload:
        if not payload.get("text"):
            raise ValueError("an outbox payload needs an exception snapshot or a Slack message text")
        return dict(payload)
    kind = OutboxKind(kind)
    exception = payload["exception"]
    event = payload.get("event")
    top = exception.get("top_divergences") or []
    if exception.get("rule") == SCHEMA_DRIFT and kind in (OutboxKind.POST, OutboxKind.UPDATE_PARENT):
        return format_file_exception_blocks(exception, payload.get("file"))
    if kind is OutboxKind.POST:
        return format_exception_blocks(exception, top)
    if kind is OutboxKind.ESCALATION:
        return format_escalation(
            exception, now=now, step=payload.get("step") or 1, steps=payload.get("steps"), divergences=top
        )
    if kind is OutboxKind.UPDATE_PARENT:
        state = exception.get("state") or exception.get("status")
        if state not in CLOSED_STATES:
            return format_exception_blocks(exception, top)
        auto = state in ("auto_resolved", "auto-resolved")
        note = None if auto else payload.get("reason") or exception.get("closed_reason")
        return format_resolved_update(exception, top, resolved_by=None if auto else payload.get("actor"), note=note)
    change = None
    if event and event != "attached":
        change = {
            "to_status": event,
            "actor": payload.get("actor"),
            "assignee": exception.get("assignee"),
            "note": payload.get("reason"),
        }
    divergences = payload.get("divergences") or []
    if not divergences and change is None:
        change = {"to_status": exception.get("state")}
    return format_thread_reply(
        exception, new_divergences=divergences, new_count=payload.get("count"), status_change=change
    )


def outbox_item(message: Any, *, now: datetime) -> OutboxItem:
    """An `OutboxItem` from a store outbox message (`id`, `kind`, `channel`, `payload`, `attempts`,
    `parent_ts`, and when present `message_ts`, `idempotency_key`), its payload rendered."""
    payload = message.payload or {}
    exception = payload.get("exception") or {}
    return OutboxItem(
        id=str(message.id),
        kind=message.kind,
        channel=message.channel,
        payload=render_payload(message.kind, payload, now=now),
        thread_ts=getattr(message, "parent_ts", None) or getattr(message, "thread_ts", None),
        message_ts=getattr(message, "message_ts", None),
        attempts=getattr(message, "attempts", 0) or 0,
        owner_team=DATA_TEAM if message.kind == OutboxKind.ALERT else exception.get("owner_team"),
        idempotency_key=getattr(message, "idempotency_key", None),
    )
