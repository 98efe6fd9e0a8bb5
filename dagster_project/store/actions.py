"""Manual actions on an exception (`recon exceptions ack|assign|resolve`, Slack buttons): checked against the
state machine, audited, and announced by an edit of the exception's Slack message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from dagster_project.errors import ReconError
from dagster_project.store import states
from dagster_project.store.audit import append_audit
from dagster_project.store.models import ExceptionRow
from dagster_project.store.outbox import Outbox
from dagster_project.store.payloads import exception_snapshot
from dagster_project.store.queries import get_exception, links_by_exception
from dagster_project.store.store import Store
from dagster_project.store.utc import as_utc, utc_now

# The audit action (and Slack event) each manual action records.
RECORDED = {"acknowledge": "acknowledged", "assign": "assigned", "resolve": "resolved", "ignore": "ignored"}


def _required(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ReconError(what)
    return value


def _act(
    store: Store,
    exception_id: int,
    action: str,
    actor: str,
    now: datetime | None,
    apply: Callable[[ExceptionRow, datetime], dict[str, Any]],
    reason: str | None = None,
) -> dict[str, Any]:
    """Move the exception by `action`, let `apply` set its fields (returning the audit details), audit it and
    queue the edit of its Slack message. Returns the exception's snapshot after the change."""
    actor = _required(actor, f"an actor is required to {action} exception {exception_id}")
    now = as_utc(now) if now else utc_now()
    with store.transaction() as session:
        exception = get_exception(session, exception_id)
        before = exception.state
        exception.state = states.next_state(exception.id, before, action)
        details = apply(exception, now)
        exception.updated_at = now
        event = append_audit(
            session,
            at=now,
            actor=actor,
            action=RECORDED[action],
            exception_id=exception.id,
            from_state=before,
            to_state=exception.state,
            reason=reason,
            details=details,
        )
        snapshot = exception_snapshot(exception, links_by_exception(session, [exception.id])[exception.id])
        payload = {"event": RECORDED[action], "actor": actor, "reason": reason, "exception": snapshot}
        outbox = Outbox(session, now)
        outbox.queue(exception, "update_parent", f"{exception.occurrence}:{action}:{event.id}", payload)
        outbox.write()
        return snapshot


def acknowledge(store: Store, exception_id: int, actor: str, *, now: datetime | None = None) -> dict[str, Any]:
    """open → acknowledged: someone has seen it; escalation stops."""

    def apply(exception: ExceptionRow, at: datetime) -> dict[str, Any]:
        exception.acknowledged_at, exception.acknowledged_by = at, actor
        return {}

    return _act(store, exception_id, "acknowledge", actor, now, apply)


def assign(
    store: Store, exception_id: int, assignee: str, actor: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """open / acknowledged / assigned → assigned. Assigning an open exception acknowledges it too."""
    assignee = _required(assignee, f"an assignee is required to assign exception {exception_id}")

    def apply(exception: ExceptionRow, at: datetime) -> dict[str, Any]:
        previous = exception.assignee
        if previous == assignee:
            raise states.TransitionError(f"exception {exception_id} is already assigned to {assignee}")
        if exception.acknowledged_at is None:
            exception.acknowledged_at, exception.acknowledged_by = at, actor
        exception.assignee = assignee
        return {"assignee": assignee, "previous_assignee": previous}

    return _act(store, exception_id, "assign", actor, now, apply)


def _close(action: str, store: Store, exception_id: int, actor: str, reason: str, now: datetime | None):
    reason = _required(reason, f"a reason is required to {action} exception {exception_id}")

    def apply(exception: ExceptionRow, at: datetime) -> dict[str, Any]:
        exception.closed_at, exception.closed_reason = at, reason
        return {}

    return _act(store, exception_id, action, actor, now, apply, reason=reason)


def resolve(store: Store, exception_id: int, actor: str, reason: str, *, now: datetime | None = None) -> dict[str, Any]:
    """open / acknowledged / assigned → resolved, with the reason. The sync reopens it if a divergence of its
    cluster opens again or a new one appears; divergences still open when it is resolved do not reopen it."""
    return _close("resolve", store, exception_id, actor, reason, now)


def ignore(store: Store, exception_id: int, actor: str, reason: str, *, now: datetime | None = None) -> dict[str, Any]:
    """open / acknowledged / assigned → ignored_with_reason: final; the sync keeps its links current, silently."""
    return _close("ignore", store, exception_id, actor, reason, now)
