"""Migrations: applied twice is a no-op, the result matches the models, SQLite runs in WAL with foreign keys."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from dagster_project.store import open_store, store_url, sync_exceptions, upgrade, verify_audit
from dagster_project.store.migrate import current_revision, head_revision
from dagster_project.store.models import Base
from tests.store.rows import T0, cluster, divergence, dump
from tests.store.test_alerts import migrate

TABLES = [
    "alembic_version",
    "audit_events",
    "exception_divergences",
    "exceptions",
    "replay_locks",
    "replays",
    "slack_outbox",
]


def test_migrations_applied_twice_are_a_no_op(db_url):
    upgrade(db_url)
    store = open_store(db_url)
    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    before = dump(store)

    upgrade(db_url)
    upgrade(db_url)

    assert head_revision() == "0005"
    assert current_revision(store.engine) == "0005"
    assert sorted(inspect(store.engine).get_table_names()) == TABLES
    assert dump(store) == before
    store.close()


def test_0005_adds_the_outbox_channel_id_keeping_every_row_and_goes_back(db_url):
    migrate(db_url, "upgrade", "0004")
    # A store as 0004 left it: an exception, its audit event, its parent message sent.
    with open_store(db_url, migrate=False) as store:
        sync_exceptions(store, [divergence("d1")], [cluster()], T0)
        with store.engine.begin() as conn:  # raw SQL: the models are those of the head revision
            conn.execute(text("update slack_outbox set status = 'sent', message_ts = '1740830400.000100'"))
        before = dump(store)

    with open_store(db_url) as store:  # brings it to head
        after = dump(store)
        assert current_revision(store.engine) == "0005"
        assert after == before | {"slack_outbox": [(*row, None) for row in before["slack_outbox"]]}
        assert verify_audit(store) == []

    migrate(db_url, "downgrade", "0004")

    with open_store(db_url, migrate=False) as store:
        assert current_revision(store.engine) == "0004"
        assert dump(store) == before


def test_the_migrated_schema_matches_the_models(store):
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []


def test_the_default_store_is_sqlite_in_the_home_with_wal_and_foreign_keys(tmp_path):
    home = tmp_path / "new-home"
    url = store_url(home)
    assert url == f"sqlite:///{home}/store.sqlite"

    with open_store(url) as store, store.engine.connect() as conn:
        assert conn.execute(text("pragma journal_mode")).scalar() == "wal"
        assert conn.execute(text("pragma foreign_keys")).scalar() == 1
    assert (home / "store.sqlite").exists()
