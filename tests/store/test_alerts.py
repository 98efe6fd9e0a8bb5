"""Pipeline alerts in the outbox: queued once per key and audited, pending beside exception messages with no
parent, and the 0002 migration that makes room for them, up and down, with rows already in the store."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from dagster_project.store import open_store, pending_messages, queue_alert, sync_exceptions, verify_audit
from dagster_project.store.engine import make_engine, writer
from dagster_project.store.migrate import alembic_config, current_revision, head_revision
from dagster_project.store.models import AuditEvent, SlackOutbox
from dagster_project.store.outbox import OutboxMessage
from tests.store.rows import HOUR, T0, audit, cluster, divergence, dump

PAYLOAD = {"event": "run_failed", "job": "recon_job", "run_id": "r-1", "steps": ["boom"], "failed_at": T0}


def outbox_rows(store) -> list[tuple]:
    with store.session() as session:
        return [
            (m.id, m.exception_id, m.kind, m.channel, m.status, m.idempotency_key, m.payload)
            for m in session.scalars(select(SlackOutbox).order_by(SlackOutbox.id))
        ]


def test_an_alert_is_queued_once_per_key_and_audited(store):
    message = queue_alert(store, key="run_failed:r-1", channel="#data-platform", payload=PAYLOAD, now=T0)

    stored = {**PAYLOAD, "failed_at": "2026-03-01T12:00:00.000000Z"}
    assert message == OutboxMessage(
        id=1,
        exception_id=None,
        kind="alert",
        channel="#data-platform",
        idempotency_key="alert:run_failed:r-1",
        payload=stored,
    )
    assert outbox_rows(store) == [(1, None, "alert", "#data-platform", "pending", "alert:run_failed:r-1", stored)]
    assert audit(store) == [(1, None, "system:alerts", "alerted", None, None, None)]
    with store.session() as session:
        event = session.get(AuditEvent, 1)
        assert (event.at, event.details) == (
            T0,
            {"key": "run_failed:r-1", "channel": "#data-platform", "outbox_id": 1, "payload": stored},
        )

    before = dump(store)
    again = queue_alert(store, key="run_failed:r-1", channel="#elsewhere", payload={"event": "other"}, now=T0 + HOUR)

    assert again is None
    assert dump(store) == before
    assert verify_audit(store) == []


def test_alerts_are_pending_beside_exception_messages_without_a_parent(store):
    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    queue_alert(store, key="run_failed:r-1", channel="#data-platform", payload=PAYLOAD, now=T0 + HOUR)

    assert [(m.id, m.exception_id, m.kind, m.channel, m.parent_ts) for m in pending_messages(store)] == [
        (1, 1, "post_parent", "#logistics_ops", None),
        (2, None, "alert", "#data-platform", None),
    ]
    assert [row[2:4] for row in audit(store)] == [("system:sync", "opened"), ("system:alerts", "alerted")]
    assert verify_audit(store) == []


def test_a_key_too_long_for_the_outbox_is_refused_before_anything_is_written(store):
    with pytest.raises(ValueError, match="an alert key has 1 to 249 characters, got 250"):
        queue_alert(store, key="k" * 250, channel="#data-platform", payload=PAYLOAD, now=T0)

    assert (outbox_rows(store), audit(store)) == ([], [])


def migrate(url: str, direction: str, revision: str) -> None:
    """`alembic upgrade|downgrade <revision>` on the store at `url`, the way `store.migrate` runs Alembic."""
    engine = make_engine(url)
    try:
        with writer(engine).begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)
    finally:
        engine.dispose()


def exception_id_nullable(store) -> bool:
    (column,) = [c for c in inspect(store.engine).get_columns("slack_outbox") if c["name"] == "exception_id"]
    return column["nullable"]


def test_migration_0002_keeps_the_rows_and_makes_room_for_alerts_then_goes_back(db_url):
    migrate(db_url, "upgrade", "0001")
    with open_store(db_url, migrate=False) as store:
        sync_exceptions(store, [divergence("d1")], [cluster()], T0)
        before = dump(store)
        assert (current_revision(store.engine), exception_id_nullable(store)) == ("0001", False)

    with open_store(db_url) as store:  # brings it to head
        assert (current_revision(store.engine), exception_id_nullable(store)) == (head_revision(), True)
        after = dump(store)
        # 0003 appended the delivery-claim columns and 0005 the channel id, empty.
        assert {row[-3:] for row in after["slack_outbox"]} == {(None, None, None)}
        assert after | {"slack_outbox": [row[:-3] for row in after["slack_outbox"]]} == before
        queue_alert(store, key="run_failed:r-1", channel="#data-platform", payload=PAYLOAD, now=T0)
        assert [(row[0], row[1], row[2]) for row in outbox_rows(store)] == [(1, 1, "post_parent"), (2, None, "alert")]

    migrate(db_url, "downgrade", "0001")

    with open_store(db_url, migrate=False) as store:
        assert (current_revision(store.engine), exception_id_nullable(store)) == ("0001", False)
        with store.engine.connect() as conn:  # raw SQL: the models are those of the head revision
            assert conn.execute(text("select id, kind from slack_outbox")).all() == [(1, "post_parent")]
        insert = "insert into slack_outbox (exception_id, kind, channel, payload, status, attempts, created_at, "
        insert += "idempotency_key) values (1, 'alert', '#data-platform', '{}', 'pending', 0, :at, 'alert:x')"
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.execute(text(insert), {"at": T0})
