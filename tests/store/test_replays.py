"""Replays in the store: who may execute, one execute per idempotency key, locks on overlapping scopes (refused
with the holder named, taken over once expired), outcomes in the audit trail, and the note in Slack threads."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text

from dagster_project.errors import ReconError
from dagster_project.slack.limits import limit_violations
from dagster_project.slack.render import outbox_item
from dagster_project.store import (
    LockHolder,
    ReplayLocked,
    ReplayRecord,
    ReplayStart,
    audit_trail,
    check_operator,
    finish_replay,
    get_replay,
    list_exceptions,
    list_replays,
    note_replay,
    open_store,
    pending_messages,
    start_replay,
    sync_exceptions,
    verify_audit,
)
from dagster_project.store.migrate import current_revision, head_revision
from dagster_project.store.replays import diff_summary
from tests.store.rows import HOUR, T0, cluster, divergence, outbox
from tests.store.test_alerts import migrate

KEY = "remap:5f1c0a"
SCOPE = {"status_map": {"carrier": ["DELIVERED_OK"]}}
UNITS = ["warehouse", "status:carrier:DELIVERED_OK"]
DIFF = {
    "resolve": ["d1", "d2"],
    "appear": [],
    "reclassify": [],
    "after_rows": [["d1", "resolved", "mapping_error", "action"], ["d2", "resolved", "mapping_error", "action"]],
}
REASON = "added DELIVERED_OK to status_map.carrier"
PASSED = {"passed": True, "results": [{"expectation": "promised_resolutions", "passed": True, "detail": "ok"}]}
FAILED = {"passed": False, "results": [{"expectation": "row_counts_add_up", "passed": False, "detail": "off by 1"}]}


def start(store, *, key=KEY, kind="remap", units=UNITS, operator="asha", reason=REASON, diff=DIFF, now=T0, **extra):
    return start_replay(
        store,
        idempotency_key=key,
        kind=kind,
        scope=SCOPE,
        units=units,
        operator=operator,
        reason=reason,
        diff=diff,
        now=now,
        **extra,
    )


def locks(store) -> list[tuple]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("select unit, replay_id from replay_locks order by unit"))
        return [tuple(row) for row in rows]


def tables(store) -> dict[str, list[tuple]]:
    """Every row of the tables a replay writes to: equal before and after means nothing was written."""
    order = {"replays": "id", "replay_locks": "unit", "audit_events": "id", "slack_outbox": "id"}
    with store.engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"select * from {table} order by {key}"))]
            for table, key in order.items()
        }


def events(store) -> list[tuple]:
    return [(e["id"], e["actor"], e["action"], e["reason"], e["details"]) for e in audit_trail(store)]


def sha256_of(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def started_details(replay_id=1, attempt=1, key=KEY, units=UNITS, expires_at="2026-03-01T14:00:00.000000Z"):
    return {
        "replay_id": replay_id,
        "idempotency_key": key,
        "kind": "remap",
        "attempt": attempt,
        "scope": SCOPE,
        "units": sorted(units),
        "expires_at": expires_at,
        "diff": {"resolve": 2, "appear": 0, "reclassify": 0, "after_rows": 2},
        "diff_sha256": sha256_of(DIFF),
    }


def record(**overrides) -> ReplayRecord:
    base = {
        "id": 1,
        "idempotency_key": KEY,
        "kind": "remap",
        "scope": SCOPE,
        "units": ("status:carrier:DELIVERED_OK", "warehouse"),
        "operator": "asha",
        "reason": REASON,
        "status": "running",
        "attempts": 1,
        "diff": DIFF,
        "verification": None,
        "started_at": T0,
        "finished_at": None,
        "run_id": None,
        "expires_at": T0 + 2 * HOUR,
    }
    return ReplayRecord(**{**base, **overrides})


def test_start_records_a_running_replay_takes_its_locks_and_audits_who_why_scope_and_diff(store):
    started = start(store)

    assert started == ReplayStart(replay=record())
    assert started.message == "replay 1 (remap) started by asha"
    assert get_replay(store, 1) == record()
    assert locks(store) == [("status:carrier:DELIVERED_OK", 1), ("warehouse", 1)]
    assert events(store) == [(1, "user:asha", "replay_started", REASON, started_details())]
    assert verify_audit(store) == []


def test_finish_records_the_outcome_releases_the_locks_and_audits_the_verification(store):
    start(store)

    finished = finish_replay(store, 1, status="verified", verification=PASSED, now=T0 + HOUR, run_id="run-7")

    expected = record(status="verified", verification=PASSED, finished_at=T0 + HOUR, run_id="run-7", expires_at=None)
    assert finished == expected
    assert get_replay(store, 1) == expected
    assert locks(store) == []
    details = {"replay_id": 1, "kind": "remap", "attempt": 1, "run_id": "run-7", "verification": PASSED}
    assert events(store)[1:] == [(2, "system:replays", "replay_verified", None, details)]
    assert verify_audit(store) == []


def test_a_repeated_execute_of_a_verified_replay_is_a_no_op(store):
    start(store)
    finish_replay(store, 1, status="verified", verification=PASSED, now=T0 + HOUR)
    before = tables(store)

    again = start(store, operator="ravi", reason="once more", now=T0 + 2 * HOUR)

    assert again == ReplayStart(already=get_replay(store, 1))
    assert again.already.status == "verified"
    assert again.message == "already executed as replay 1: nothing to do"
    assert tables(store) == before


def test_a_failed_replay_is_retried_in_the_same_row_and_its_attempts_stay_in_the_audit_trail(store):
    start(store)
    finish_replay(store, 1, status="failed", verification=FAILED, now=T0 + HOUR, run_id="run-7")

    retried = start(store, operator="@ravi", reason="fixed the count", now=T0 + 2 * HOUR)

    expected = record(
        operator="ravi", reason="fixed the count", attempts=2, started_at=T0 + 2 * HOUR, expires_at=T0 + 4 * HOUR
    )
    assert retried == ReplayStart(replay=expected)
    assert retried.message == "replay 1 (remap) started by ravi (attempt 2)"
    assert locks(store) == [("status:carrier:DELIVERED_OK", 1), ("warehouse", 1)]
    failed = {"replay_id": 1, "kind": "remap", "attempt": 1, "run_id": "run-7", "verification": FAILED}
    assert events(store) == [
        (1, "user:asha", "replay_started", REASON, started_details()),
        (2, "system:replays", "replay_failed", None, failed),
        (
            3,
            "user:ravi",
            "replay_started",
            "fixed the count",
            started_details(attempt=2, expires_at="2026-03-01T16:00:00.000000Z"),
        ),
    ]
    finish_replay(store, 1, status="verified", verification=PASSED, now=T0 + 3 * HOUR)
    assert get_replay(store, 1).status == "verified"
    assert verify_audit(store) == []


def test_an_overlapping_replay_is_refused_naming_the_holder_and_writes_nothing(store):
    start(store)
    before = tables(store)

    with pytest.raises(ReplayLocked) as refused:
        start(store, key="orders:9a", kind="orders", units=["order:ORD-1", "warehouse"], operator="ravi", now=T0 + HOUR)

    assert str(refused.value) == (
        "cannot start this replay: replay 1 (remap, by asha) has held warehouse since 2026-03-01 12:00:00 UTC. "
        "Wait for it to finish, then execute again; if it crashed, its locks expire at 2026-03-01 14:00:00 UTC "
        "and the next execute takes them over."
    )
    assert refused.value.holders == (LockHolder(1, "remap", "asha", T0, T0 + 2 * HOUR, ("warehouse",)),)
    assert tables(store) == before


def test_a_replay_overlapping_two_running_ones_names_both(store):
    start(store, key="orders:1", kind="orders", units=["order:ORD-1"], operator="ravi")
    start(store, key="quarantine:ab", kind="quarantine", units=["file:ab", "order:ORD-2"], now=T0 + HOUR)
    # Replays of scopes that do not overlap run side by side.
    assert locks(store) == [("file:ab", 2), ("order:ORD-1", 1), ("order:ORD-2", 2)]

    with pytest.raises(ReplayLocked) as refused:
        start(store, key="orders:2", kind="orders", units=["order:ORD-1", "order:ORD-2", "order:ORD-3"], now=T0 + HOUR)

    assert str(refused.value) == (
        "cannot start this replay: replay 1 (orders, by ravi) has held order:ORD-1 since 2026-03-01 12:00:00 UTC; "
        "replay 2 (quarantine, by asha) has held order:ORD-2 since 2026-03-01 13:00:00 UTC. Wait for them to finish, "
        "then execute again; if one crashed, its locks expire at 2026-03-01 14:00:00 UTC (replay 1), "
        "2026-03-01 15:00:00 UTC (replay 2) and the next execute takes them over."
    )
    assert [holder.replay_id for holder in refused.value.holders] == [1, 2]


def test_the_same_key_while_it_runs_is_refused(store):
    start(store)
    before = tables(store)

    with pytest.raises(ReplayLocked) as refused:
        start(store, operator="ravi", now=T0 + HOUR)

    assert str(refused.value) == (
        "replay 1 (remap, by asha) with this idempotency key has been running since 2026-03-01 12:00:00 UTC: wait "
        "for it to finish; if it crashed, its locks expire at 2026-03-01 14:00:00 UTC and the next execute restarts it."
    )
    assert tables(store) == before


def test_expired_locks_are_taken_over_and_their_holder_is_marked_failed(store):
    start(store)
    taken_at = T0 + 2 * HOUR  # exactly when replay 1's locks expire

    started = start(store, key="orders:9a", kind="orders", units=["order:ORD-1", "warehouse"], now=taken_at)

    assert started.replay.id == 2
    assert locks(store) == [("order:ORD-1", 2), ("warehouse", 2)]
    error = "abandoned: its locks expired at 2026-03-01 14:00:00 UTC before it finished; replay 2 took over warehouse"
    assert get_replay(store, 1) == record(
        status="failed", verification={"passed": False, "error": error}, finished_at=taken_at, expires_at=None
    )
    assert [event[:3] for event in events(store)] == [
        (1, "user:asha", "replay_started"),
        (2, "system:replays", "replay_failed"),
        (3, "user:asha", "replay_started"),
    ]
    assert events(store)[1][4] == {
        "replay_id": 1,
        "kind": "remap",
        "attempt": 1,
        "run_id": None,
        "verification": {"passed": False, "error": error},
    }
    # The abandoned replay cannot report success over what ran after it.
    with pytest.raises(ReconError) as refused:
        finish_replay(store, 1, status="verified", verification=PASSED, now=taken_at + HOUR)
    assert str(refused.value) == (
        "replay 1 is failed, not running: its outcome was recorded at 2026-03-01 14:00:00 UTC; "
        "see its replay_failed audit event"
    )
    assert verify_audit(store) == []


def test_a_crashed_replay_is_restarted_by_an_execute_with_its_key_once_its_locks_expire(store):
    start(store)

    restarted = start(store, now=T0 + 3 * HOUR)

    assert restarted == ReplayStart(replay=record(attempts=2, started_at=T0 + 3 * HOUR, expires_at=T0 + 5 * HOUR))
    assert [event[2] for event in events(store)] == ["replay_started", "replay_failed", "replay_started"]
    assert events(store)[1][4]["verification"] == {
        "passed": False,
        "error": "abandoned: its locks expired at 2026-03-01 14:00:00 UTC before it finished; restarted by a new "
        "execute",
    }
    assert verify_audit(store) == []


def test_only_listed_operators_may_execute():
    allowed = ("ravi", "U0123ABCD")
    check_operator("ravi", allowed)
    check_operator("@ravi", allowed)
    check_operator("U0123ABCD", allowed)

    with pytest.raises(ReconError) as refused:
        check_operator("asha", allowed)
    assert str(refused.value) == (
        "asha may not execute replays: add asha (a login name or Slack user id) to replay.operators in recon.yaml. "
        "Dry-runs need no permission."
    )
    with pytest.raises(ReconError) as refused:
        check_operator("asha", ())
    assert str(refused.value) == (
        "asha may not execute replays: replay.operators in recon.yaml is empty, so nobody may; add asha (a login "
        "name or Slack user id) there. Dry-runs need no permission."
    )
    with pytest.raises(ReconError) as refused:
        check_operator("  ", allowed)
    assert str(refused.value) == (
        "an operator is required to execute a replay: a login name or Slack user id listed in replay.operators "
        "in recon.yaml"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"reason": "  "},
            "a reason is required to execute a replay (--reason TEXT): say what was fixed and why it is replayed",
        ),
        (
            {"operator": ""},
            "an operator is required to execute a replay: a login name or Slack user id listed in replay.operators "
            "in recon.yaml",
        ),
        ({"kind": "resync"}, "unknown replay kind 'resync': use one of quarantine, orders, remap"),
        ({"units": []}, "a replay needs at least one lock unit (warehouse, order:<id>, file:<sha256>, ...)"),
        ({"operator": "a" * 256}, "an operator's name has at most 255 characters, got 256"),
        ({"units": ["x" * 256]}, f"lock unit {'x' * 256!r}: expected text of 1 to 255 characters"),
        ({"units": ["warehouse", 7]}, "lock unit 7: expected text of 1 to 255 characters"),
        ({"key": ""}, "a replay's idempotency key has 1 to 255 characters, got ''"),
    ],
)
def test_refused_starts_write_nothing(store, overrides, message):
    with pytest.raises(ReconError) as refused:
        start(store, **overrides)

    assert str(refused.value) == message
    assert tables(store) == {"replays": [], "replay_locks": [], "audit_events": [], "slack_outbox": []}


def test_the_audit_keeps_a_summary_of_the_diff():
    diff = {
        "as_of": "2026-03-01T12:00:00Z",
        "divergences_resolving": 2,
        "orders": ["ORD-1", "ORD-2", "ORD-3"],
        "rows_added": {"carrier": 4, "files": ["a.csv"]},
        "exceptions": None,
    }

    assert diff_summary(diff) == {
        "as_of": "2026-03-01T12:00:00Z",
        "divergences_resolving": 2,
        "orders": 3,
        "rows_added": {"carrier": 4, "files": 1},
        "exceptions": None,
    }


def test_a_lock_needs_a_time_to_live(store):
    with pytest.raises(ValueError) as refused:
        start(store, ttl=timedelta(0))

    assert str(refused.value) == "a replay's lock time to live must be positive, got 0:00:00"
    assert list_replays(store) == []


def test_a_key_is_one_kind_of_replay_and_finishing_is_checked(store):
    start(store)
    with pytest.raises(ReconError) as refused:
        start(store, kind="orders", now=T0 + HOUR)
    assert str(refused.value) == "idempotency key 'remap:5f1c0a' belongs to replay 1, a remap replay, not orders"

    with pytest.raises(ReconError) as refused:
        finish_replay(store, 1, status="verified", verification=FAILED, now=T0 + HOUR)
    assert str(refused.value) == "replay 1 cannot be marked verified: its verification did not pass"
    with pytest.raises(ReconError) as refused:
        finish_replay(store, 1, status="running", verification=PASSED, now=T0 + HOUR)
    assert str(refused.value) == "a replay finishes verified or failed, not 'running'"
    with pytest.raises(ReconError) as refused:
        finish_replay(store, 9, status="failed", verification=FAILED, now=T0 + HOUR)
    assert str(refused.value) == "no replay with id 9"
    assert get_replay(store, 1) == record()


def test_listing_replays_newest_first(store):
    start(store)
    start(store, key="orders:1", kind="orders", units=["order:ORD-1"], operator="ravi", now=T0 + HOUR)
    finish_replay(store, 1, status="verified", verification=PASSED, now=T0 + HOUR)

    assert [(r.id, r.status, r.expires_at) for r in list_replays(store)] == [
        (2, "running", T0 + 3 * HOUR),
        (1, "verified", None),
    ]
    assert [r.id for r in list_replays(store, statuses=["verified"])] == [1]
    assert [r.id for r in list_replays(store, kind="orders")] == [2]
    assert [r.id for r in list_replays(store, limit=1)] == [2]
    assert get_replay(store, 1).as_dict()["finished_at"] == "2026-03-01T13:00:00.000000Z"
    with pytest.raises(ReconError, match="^no replay with id 3$"):
        get_replay(store, 3)


@pytest.fixture
def replayed(store):
    """Two exceptions (clusters c-north, c-south) and replay 1, verified."""
    rows = [divergence("d1", "c-north"), divergence("d2", "c-south")]
    sync_exceptions(store, rows, [cluster("c-north"), cluster("c-south")], T0)
    start(store)
    finish_replay(store, 1, status="verified", verification=PASSED, now=T0 + HOUR)
    return store


def test_note_replay_queues_one_thread_reply_per_exception_once(replayed):
    store = replayed
    snapshots = list_exceptions(store)

    messages = note_replay(store, 1, [2, 1, 2], "2 divergences resolved", T0 + HOUR)

    assert [(m.id, m.exception_id, m.kind) for m in messages] == [(3, 1, "thread_reply"), (4, 2, "thread_reply")]
    brief = {
        "id": 1,
        "kind": "remap",
        "attempt": 1,
        "operator": "asha",
        "reason": REASON,
        "status": "verified",
        "summary": "2 divergences resolved",
    }
    assert [m.payload for m in messages] == [
        {"event": "replayed", "exception": snapshot, "replay": brief} for snapshot in snapshots
    ]
    assert outbox(store)[2:] == [
        (3, 1, "thread_reply", "#logistics_ops", "thread_reply:replay:1:1"),
        (4, 2, "thread_reply", "#logistics_ops", "thread_reply:replay:1:1"),
    ]
    before = tables(store)
    assert note_replay(store, 1, [1, 2], "2 divergences resolved", T0 + 2 * HOUR) == ()
    assert tables(store) == before


def test_note_replay_refuses_a_running_replay_or_an_unknown_exception(replayed):
    store = replayed
    start(store, key="orders:1", kind="orders", units=["order:ORD-1"])
    before = tables(store)

    with pytest.raises(ReconError) as refused:
        note_replay(store, 2, [1], "resolved", T0 + HOUR)
    assert str(refused.value) == "replay 2 is still running: note it once finish_replay has recorded its outcome"
    with pytest.raises(ReconError) as refused:
        note_replay(store, 1, [1, 99], "resolved", T0 + HOUR)
    assert str(refused.value) == "no exception with id 99"
    assert tables(store) == before


def test_the_thread_reply_reads_well_and_escapes_hostile_text(replayed):
    store = replayed
    # A retry, so the reply names the attempt; operator, summary and reason are typed by people.
    start(
        store,
        key="remap:2",
        operator="<@U1>",
        reason="fixed <!channel> see https://evil.example",
        units=["order:ORD-1"],
        now=T0 + HOUR,
    )
    finish_replay(store, 2, status="failed", verification=FAILED, now=T0 + HOUR)
    note_replay(store, 2, [1], "", T0 + HOUR)
    start(store, key="remap:2", operator="<@U1>", reason="again @here", units=["order:ORD-1"], now=T0 + 2 * HOUR)
    finish_replay(store, 2, status="verified", verification=PASSED, now=T0 + 2 * HOUR)
    note_replay(store, 1, [1], "2 divergences resolved.", T0 + 2 * HOUR)
    note_replay(store, 2, [1], "1 resolved <https://x|y>", T0 + 2 * HOUR)

    replies = [m for m in pending_messages(store) if m.kind == "thread_reply"]
    failed, first, second = (outbox_item(m, now=T0 + 2 * HOUR).payload for m in replies)

    assert failed["text"] == (
        "Replay 2 (remap) by &lt;@U1&gt;: failed. Reason: fixed &lt;!channel&gt; see https:\u200b//evil.example"
    )
    assert failed["blocks"][0]["text"]["text"] == (
        ":x: Replay 2 (remap) by &lt;@U1&gt;: failed.\n>Reason: fixed &lt;!channel&gt; see https:\u200b//evil.example"
    )

    assert first["text"] == "Replay 1 (remap) by asha: verified — 2 divergences resolved. Reason: " + REASON
    assert first["blocks"][0]["text"]["text"] == (
        ":white_check_mark: Replay 1 (remap) by asha: verified — 2 divergences resolved.\n>Reason: " + REASON
    )
    assert second["text"] == (
        "Replay 2 (remap, attempt 2) by &lt;@U1&gt;: verified — 1 resolved &lt;https:\u200b//x|y&gt;. "
        "Reason: again @\u200bhere"
    )
    assert second["blocks"] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":white_check_mark: Replay 2 (remap, attempt 2) by &lt;@U1&gt;: verified — 1 resolved "
                "&lt;https:\u200b//x|y&gt;.\n>Reason: again @\u200bhere",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Who, why, the scope, the promised diff and the verification are in the audit trail.",
                }
            ],
        },
    ]
    assert limit_violations(failed) == limit_violations(first) == limit_violations(second) == []


def test_migration_0004_adds_the_replay_tables_and_goes_back(db_url):
    migrate(db_url, "upgrade", "0003")
    with open_store(db_url) as store:  # brings it to head
        start(store)
        assert current_revision(store.engine) == head_revision() == "0005"

    migrate(db_url, "downgrade", "0003")

    with open_store(db_url, migrate=False) as store:
        assert current_revision(store.engine) == "0003"
        assert {"replays", "replay_locks"} & set(inspect(store.engine).get_table_names()) == set()
