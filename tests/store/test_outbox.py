"""The outbox from the sender's side: pending in order, replies know their parent once it is sent, failures
retried up to a limit, and a message never queued twice."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from dagster_project.store import mark_failed, mark_sent, pending_messages, sync_exceptions
from dagster_project.store.models import ExceptionRow, SlackOutbox
from dagster_project.store.outbox import Outbox, claim_pending, release
from tests.store.rows import HOUR, T0, cluster, divergence, outbox


@pytest.fixture
def queued(store):
    """Exception 1 posted (message 1) and a divergence attached (message 2, a thread reply)."""
    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    sync_exceptions(store, [divergence("d1"), divergence("d2")], [cluster()], T0 + HOUR)
    return store


def test_pending_in_order_and_replies_learn_their_parent(queued):
    assert [(m.id, m.kind, m.parent_ts) for m in pending_messages(queued)] == [
        (1, "post_parent", None),
        (2, "thread_reply", None),
    ]

    mark_sent(queued, 1, message_ts="1740830400.000100", now=T0 + HOUR)
    mark_sent(queued, 1, message_ts="ignored: already sent", now=T0 + 2 * HOUR)

    assert [(m.id, m.kind, m.parent_ts) for m in pending_messages(queued)] == [(2, "thread_reply", "1740830400.000100")]
    with queued.session() as session:
        row = session.get(SlackOutbox, 1)
        assert (row.status, row.message_ts, row.sent_at, row.attempts) == ("sent", "1740830400.000100", T0 + HOUR, 1)


def test_transient_failures_stay_pending_and_a_final_one_fails(queued):
    assert mark_failed(queued, 2, error="slack 500", final=False) == "pending"
    assert mark_failed(queued, 2, error="channel_not_found", final=True) == "failed"
    assert mark_failed(queued, 2, error="late", final=False) == "failed"

    assert [m.id for m in pending_messages(queued)] == [1]
    with queued.session() as session:
        row = session.get(SlackOutbox, 2)
        assert (row.status, row.attempts, row.last_error) == ("failed", 2, "channel_not_found")


def test_the_database_refuses_a_second_message_with_the_same_key(queued):
    with queued.session() as session:
        first = session.get(SlackOutbox, 1)
        copy = {
            c: getattr(first, c)
            for c in (
                "exception_id",
                "kind",
                "channel",
                "payload",
                "status",
                "attempts",
                "created_at",
                "idempotency_key",
            )
        }

    with pytest.raises(IntegrityError), queued.transaction() as session:
        session.add(SlackOutbox(**copy))


def test_queuing_a_key_again_adds_nothing(queued):
    with queued.transaction() as session:
        buffer = Outbox(session, T0 + 2 * HOUR)
        exception = session.get(ExceptionRow, 1)
        buffer.queue(exception, "post_parent", "opened", {"event": "opened"})
        buffer.queue(exception, "thread_reply", "note", {"event": "note"})
        buffer.queue(exception, "thread_reply", "note", {"event": "note, again"})
        added = buffer.write()

    # (PostgreSQL spends a sequence value on the skipped row, so the new id is 3 or 4.)
    assert [(m.kind, m.idempotency_key.split(":", 1)[1], m.payload) for m in added] == [
        ("thread_reply", "thread_reply:note", {"event": "note"})
    ]
    assert [(kind, key) for _, _, kind, _, key in outbox(queued)] == [
        ("post_parent", "post_parent:opened"),
        ("thread_reply", f"thread_reply:attached:{digest('d2')}"),
        ("thread_reply", "thread_reply:note"),
    ]


def digest(*divergence_ids: str) -> str:
    return hashlib.sha256("\n".join(sorted(divergence_ids)).encode()).hexdigest()[:16]


def test_a_claimed_message_is_skipped_by_other_passes_until_released_or_expired(queued):
    lease = timedelta(minutes=10)
    first = claim_pending(queued, owner="a", now=T0, lease=lease)
    assert [m.id for m in first] == [1, 2]
    assert claim_pending(queued, owner="b", now=T0, lease=lease) == []

    release(queued, [2], owner="b")  # not b's claim: nothing happens
    assert claim_pending(queued, owner="b", now=T0, lease=lease) == []
    release(queued, [2], owner="a")
    assert [m.id for m in claim_pending(queued, owner="b", now=T0, lease=lease)] == [2]

    mark_sent(queued, 1, message_ts="1.1", now=T0)  # ends a's claim on 1, and 1 is no longer pending
    assert claim_pending(queued, owner="c", now=T0, lease=lease) == []
    # b crashed holding 2: its lease runs out.
    assert [m.id for m in claim_pending(queued, owner="c", now=T0 + lease, lease=lease)] == [2]
