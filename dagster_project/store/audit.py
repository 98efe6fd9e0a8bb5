"""The audit trail: append-only, hash-chained, and its verification (`recon audit verify`).

Each event's `hash` is sha256(prev_hash + canonical JSON of its fields, id included), and `prev_hash` is
the hash of the event before it (64 zeros for the first). Ids are consecutive. So an edited row no longer
matches its hash, a deleted row leaves a gap and breaks the next row's link, and rows moved to other ids
match neither. A row rewritten with a recomputed hash still breaks the link of the row after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dagster_project.store.models import AuditEvent, ExceptionRow
from dagster_project.store.payloads import jsonable
from dagster_project.store.store import Store, is_writing
from dagster_project.store.utc import iso, utc_now

GENESIS = "0" * 64
_HEAD = "recon_audit_head"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "exception_id": event.exception_id,
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "details": event.details,
    }


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_json(hashed_fields(event))).encode("utf-8")).hexdigest()


def append_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    exception_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add the next event of the chain. Only inside `Store.transaction()`, whose write lock keeps it linear."""
    if not is_writing(session):
        raise RuntimeError("audit events are written only inside Store.transaction()")
    head = session.info.get(_HEAD)
    if head is None:
        last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
        head = (last.id, last.hash) if last else (0, GENESIS)
    event = AuditEvent(
        id=head[0] + 1,
        exception_id=exception_id,
        # Microseconds are what both databases keep; the hash is taken over what will be read back.
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=jsonable(details or {}),
        prev_hash=head[1],
    )
    event.hash = event_hash(event.prev_hash, event)
    session.add(event)
    session.info[_HEAD] = (event.id, event.hash)
    return event


def record_audit(
    store: Store,
    *,
    actor: str,
    action: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    exception_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """An audit event of its own (a replay, a config change): returns its id."""
    with store.transaction() as session:
        event = append_audit(
            session,
            at=now or utc_now(),
            actor=actor,
            action=action,
            exception_id=exception_id,
            reason=reason,
            details=details,
        )
        return event.id


def audit_dict(event: AuditEvent) -> dict[str, Any]:
    return {**hashed_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}


def audit_trail(store: Store, exception_id: int | None = None) -> list[dict[str, Any]]:
    """The events (of one exception, or all), oldest first, as dicts with ISO times."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if exception_id is not None:
        query = query.where(AuditEvent.exception_id == exception_id)
    with store.session() as session:
        return [audit_dict(event) for event in session.scalars(query)]


@dataclass(frozen=True)
class AuditProblem:
    audit_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def verify_audit(store: Store) -> list[AuditProblem]:
    """What is wrong with the trail; [] when it is intact. Breaks in the chain come first, in id order, so the
    first problem names the first bad audit id.

    Then each exception's state is checked against the last state its own trail moved it to, which catches
    the most recent events being cut off (the chain alone cannot: its end is wherever the rows stop).
    """
    problems: list[AuditProblem] = []
    expected_id, expected_prev = 1, GENESIS
    last_event: dict[int, tuple[int, str | None]] = {}
    with store.session() as session:
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
            if event.id != expected_id:
                gone = f"audit {expected_id}" if event.id == expected_id + 1 else f"audits {expected_id}-{event.id - 1}"
                problems.append(
                    AuditProblem(
                        expected_id, f"{gone} missing: audit {event.id} follows audit {expected_id - 1} (deleted rows?)"
                    )
                )
            elif event.prev_hash != expected_prev:
                problems.append(
                    AuditProblem(
                        event.id,
                        f"audit {event.id}: prev_hash does not match the hash of "
                        f"audit {event.id - 1} (one of the two was rewritten)",
                    )
                )
            if event.hash != event_hash(event.prev_hash, event):
                problems.append(
                    AuditProblem(
                        event.id,
                        f"audit {event.id}: hash does not match its content (edited, or moved from another id)",
                    )
                )
            # Go on from what the row says, so one bad row is reported once and the rest still checked.
            expected_id, expected_prev = event.id + 1, event.hash
            if event.exception_id is not None and event.to_state is not None:
                last_event[event.exception_id] = (event.id, event.to_state)
        for exception_id, state in session.execute(
            select(ExceptionRow.id, ExceptionRow.state).order_by(ExceptionRow.id)
        ):
            audit_id, to_state = last_event.get(exception_id, (None, None))
            if audit_id is None:
                problems.append(AuditProblem(None, f"exception {exception_id} is {state} but has no audit events"))
            elif to_state != state:
                problems.append(
                    AuditProblem(
                        audit_id,
                        f"exception {exception_id} is {state} but its audit trail ends in {to_state} "
                        f"(audit {audit_id}): later events missing, or the exception edited",
                    )
                )
    return problems
