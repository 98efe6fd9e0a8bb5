"""SLA escalation: open exceptions nobody acknowledged by `sla_due_at` go up the owner team's steps.

Step 1 is due at `sla_due_at`, step k one SLA period (`sla_due_at - opened_at`) after step k-1, up to the
number of steps the team has. Each step happens once per episode (the exception's `escalation_step`
remembers it; the outbox key would refuse a second message anyway), with an audit event and an
`escalation` message to that step's channel. Acknowledging or assigning stops it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from dagster_project.store import states
from dagster_project.store.audit import append_audit
from dagster_project.store.models import ExceptionRow
from dagster_project.store.outbox import Outbox, OutboxMessage
from dagster_project.store.payloads import exception_snapshot
from dagster_project.store.queries import links_by_exception
from dagster_project.store.store import Store
from dagster_project.store.utc import as_utc


@dataclass(frozen=True)
class Escalation:
    exception_id: int
    step: int
    channel: str
    due_at: datetime


@dataclass(frozen=True)
class EscalationResult:
    escalations: tuple[Escalation, ...] = ()
    # Owner teams with overdue exceptions but no escalation channels configured: nothing could be done.
    without_steps: tuple[str, ...] = ()
    messages: tuple[OutboxMessage, ...] = ()


def step_due_at(exception: ExceptionRow, step: int) -> datetime:
    return exception.sla_due_at + (step - 1) * (exception.sla_due_at - exception.opened_at)


def steps_due(exception: ExceptionRow, now: datetime, steps: int) -> int:
    """How many steps should have happened by `now`: 0 before `sla_due_at`, then one more per SLA period."""
    if now < exception.sla_due_at:
        return 0
    period = exception.sla_due_at - exception.opened_at
    reached = steps if period <= timedelta(0) else 1 + (now - exception.sla_due_at) // period
    return min(reached, steps)


def escalate_due(
    store: Store, now: datetime, steps: Mapping[str, Sequence[str]], actor: str = "system:escalation"
) -> EscalationResult:
    """Escalate every open, unacknowledged exception whose steps have come due by `now` (`steps`: owner team →
    its escalation channels, step 1 first). Rerunning at the same `now` does nothing."""
    now = as_utc(now)
    escalations: list[Escalation] = []
    without_steps: set[str] = set()
    with store.transaction() as session:
        overdue = session.scalars(
            select(ExceptionRow)
            .where(ExceptionRow.state == states.OPEN, ExceptionRow.sla_due_at <= now)
            .order_by(ExceptionRow.sla_due_at, ExceptionRow.id)
        ).all()
        due = []
        for exception in overdue:
            channels = list(steps.get(exception.owner_team) or ())
            if not channels:
                without_steps.add(exception.owner_team)
            elif steps_due(exception, now, len(channels)) > exception.escalation_step:
                due.append((exception, channels))
        links = links_by_exception(session, (exception.id for exception, _ in due))
        outbox = Outbox(session, now)
        for exception, channels in due:
            for step in range(exception.escalation_step + 1, steps_due(exception, now, len(channels)) + 1):
                channel, due_at = channels[step - 1], step_due_at(exception, step)
                exception.escalation_step, exception.escalated_at, exception.updated_at = step, now, now
                details = {"step": step, "steps": len(channels), "channel": channel, "due_at": due_at}
                append_audit(
                    session,
                    at=now,
                    actor=actor,
                    action="escalated",
                    exception_id=exception.id,
                    from_state=exception.state,
                    to_state=exception.state,
                    details=details,
                )
                payload = {
                    "event": "escalated",
                    **details,
                    "exception": exception_snapshot(exception, links[exception.id]),
                }
                outbox.queue(exception, "escalation", f"{exception.occurrence}:{step}", payload, channel=channel)
                escalations.append(Escalation(exception.id, step, channel, due_at))
        return EscalationResult(tuple(escalations), tuple(sorted(without_steps)), outbox.write())
