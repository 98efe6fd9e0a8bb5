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

A replay's outcome (`thread_reply`, event `replayed`, from `store.replays.note_replay`) is `format_replay_reply`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dagster_project.config import DATA_TEAM
from dagster_project.slack.blocks import (
    CLOSED_STATES,
    NOTE_CHARS,
    SCHEMA_DRIFT,
    format_escalation,
    format_exception_blocks,
    format_file_exception_blocks,
    format_pipeline_alert,
    format_resolved_update,
    format_thread_reply,
)
from dagster_project.slack.escape import one_line
from dagster_project.slack.limits import MAX_MESSAGE_TEXT, MAX_SECTION_TEXT, truncate
from dagster_project.slack.outbox import OutboxItem, OutboxKind

REPLAY_EMOJI = {"verified": ":white_check_mark:", "failed": ":x:"}


def format_replay_reply(replay: Mapping[str, Any]) -> dict:
    """A replay's outcome in the thread of an exception it touched: `Replay 3 (remap) by asha: verified — 12
    divergences resolved. Reason: added DELIVERED_OK`. `replay` is the payload's `replay`: `id`, `kind`, `attempt`
    (named from the second on), `operator`, `status`, `summary`, `reason`. The operator, summary and reason are typed
    by people (or come from source data, like status codes): all escaped, one line each."""
    status = one_line(replay.get("status")) or "—"
    kind = one_line(replay.get("kind"))
    if (replay.get("attempt") or 1) > 1:
        kind += f", attempt {replay['attempt']}"
    line = f"Replay {one_line(replay.get('id'))} ({kind}) by {one_line(replay.get('operator'))}: {status}"
    summary = truncate(one_line(replay.get("summary")), NOTE_CHARS).rstrip(".")
    if summary:
        line += f" — {summary}"
    reason = truncate(one_line(replay.get("reason")), NOTE_CHARS)
    emoji = REPLAY_EMOJI.get(status, ":information_source:")
    body = f"{emoji} {line}.\n>Reason: {reason}"
    context = "Who, why, the scope, the promised diff and the verification are in the audit trail."
    return {
        "text": truncate(f"{line}. Reason: {reason}", MAX_MESSAGE_TEXT),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(body, MAX_SECTION_TEXT)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


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
    if kind is OutboxKind.REPLY and event == "replayed":
        return format_replay_reply(payload["replay"])
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
