"""The audit chain: intact, then edited, deleted, swapped and cut short, each caught and named."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text

from dagster_project.store import acknowledge, assign, audit_trail, record_audit, sync_exceptions, verify_audit
from dagster_project.store.audit import GENESIS
from dagster_project.store.models import AuditEvent
from tests.store.rows import HOUR, T0, cluster, divergence


@pytest.fixture
def trail(store):
    """Four events: opened (1), acknowledged (2), assigned (3), and a replay with no exception (4)."""
    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    acknowledge(store, 1, "user:asha", now=T0 + HOUR)
    assign(store, 1, "ravi", "user:asha", now=T0 + 2 * HOUR)
    record_audit(
        store,
        actor="user:asha",
        action="replay_executed",
        reason="fixed mapping",
        details={"rows": 3},
        now=T0 + 3 * HOUR,
    )
    return store


def sql(store, statement: str, **params) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def messages(store) -> list[tuple]:
    return [(problem.audit_id, str(problem)) for problem in verify_audit(store)]


def test_an_intact_chain_verifies_and_hashes_as_documented(trail):
    assert verify_audit(trail) == []
    events = audit_trail(trail)
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    assert events[0]["prev_hash"] == GENESIS
    assert [e["prev_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
    # hash = sha256(prev_hash + canonical JSON of the row's fields), computed here independently.
    last = events[3]
    fields = {
        k: last[k]
        for k in ("id", "exception_id", "at", "actor", "action", "from_state", "to_state", "reason", "details")
    }
    assert fields == {
        "id": 4, "exception_id": None, "at": "2026-03-01T15:00:00.000000Z", "actor": "user:asha",
        "action": "replay_executed", "from_state": None, "to_state": None, "reason": "fixed mapping",
        "details": {"rows": 3},
    }  # fmt: skip
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert last["hash"] == hashlib.sha256((last["prev_hash"] + canonical).encode()).hexdigest()
    assert audit_trail(trail, 1)[-1]["action"] == "assigned"


def test_an_edited_row_is_caught(trail):
    sql(trail, "update audit_events set reason = 'nothing to see' where id = 2")

    assert messages(trail) == [(2, "audit 2: hash does not match its content (edited, or moved from another id)")]


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(trail):
    sql(trail, "update audit_events set actor = 'user:mallory', hash = :h where id = 2", h="f" * 64)

    assert messages(trail) == [
        (2, "audit 2: hash does not match its content (edited, or moved from another id)"),
        (3, "audit 3: prev_hash does not match the hash of audit 2 (one of the two was rewritten)"),
    ]


def test_a_deleted_row_is_caught(trail):
    sql(trail, "delete from audit_events where id = 2")

    assert messages(trail) == [(2, "audit 2 missing: audit 3 follows audit 1 (deleted rows?)")]


def test_swapped_hashes_are_caught(trail):
    with trail.session() as session:
        second, third = session.scalars(
            select(AuditEvent.hash).where(AuditEvent.id.in_([2, 3])).order_by(AuditEvent.id)
        )
    # Through a placeholder: hashes are unique.
    sql(trail, "update audit_events set hash = :h where id = 2", h="x")
    sql(trail, "update audit_events set hash = :h where id = 3", h=second)
    sql(trail, "update audit_events set hash = :h where id = 2", h=third)

    problems = messages(trail)
    assert problems[0] == (2, "audit 2: hash does not match its content (edited, or moved from another id)")
    assert problems == [
        (2, "audit 2: hash does not match its content (edited, or moved from another id)"),
        (3, "audit 3: prev_hash does not match the hash of audit 2 (one of the two was rewritten)"),
        (3, "audit 3: hash does not match its content (edited, or moved from another id)"),
        (4, "audit 4: prev_hash does not match the hash of audit 3 (one of the two was rewritten)"),
    ]


def test_reordered_rows_are_caught(trail):
    # Rows 2 and 3 trade places (ids swapped through a free id).
    sql(trail, "update audit_events set id = 100 where id = 2")
    sql(trail, "update audit_events set id = 2 where id = 3")
    sql(trail, "update audit_events set id = 3 where id = 100")

    assert messages(trail)[0] == (
        2,
        "audit 2: prev_hash does not match the hash of audit 1 (one of the two was rewritten)",
    )


def test_the_last_events_cut_off_are_caught_by_the_exception_state(trail):
    sql(trail, "delete from audit_events where id >= 3")

    assert messages(trail) == [
        (2, "exception 1 is assigned but its audit trail ends in acknowledged (audit 2): later events missing, "
            "or the exception edited"),
    ]  # fmt: skip


def test_the_store_never_updates_or_deletes_audit_rows(trail):
    refused = pytest.raises(RuntimeError, match="audit event 1: the audit trail is append-only")
    with refused, trail.transaction() as session:
        session.get(AuditEvent, 1).reason = "rewritten"
    with refused, trail.transaction() as session:
        session.delete(session.get(AuditEvent, 1))
    assert verify_audit(trail) == []


def test_an_event_about_an_exception_without_a_state_change_keeps_it_valid(trail):
    event_id = record_audit(trail, actor="user:asha", action="replay_executed", exception_id=1, now=T0 + 4 * HOUR)

    assert event_id == 5
    assert verify_audit(trail) == []
    assert [(e["id"], e["action"], e["to_state"]) for e in audit_trail(trail, 1)][-2:] == [
        (3, "assigned", "assigned"),
        (5, "replay_executed", None),
    ]
