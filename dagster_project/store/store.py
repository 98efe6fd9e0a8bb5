"""The store object: its engine and its transactions.

Every write happens in `Store.transaction()`, which first takes the store's write lock (SQLite:
`BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock). Writers are few and short (a sync
per run, an escalation pass per sensor tick, a Slack button click), and serialising them keeps the audit
chain linear and every read-then-write free of races.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dagster_project.store.engine import WRITE_OPTION, make_engine, write_lock, writer
from dagster_project.store.migrate import upgrade_engine


class Store:
    """The operational store: exceptions, their divergences, the audit trail and the Slack outbox."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._writer = writer(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading (one consistent snapshot per transaction)."""
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One writing transaction under the store's write lock: committed at the end, rolled back on error."""
        with Session(self._writer, info={WRITE_OPTION: True}) as session, session.begin():
            write_lock(session.connection())
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def is_writing(session: Session) -> bool:
    """Whether `session` is a `Store.transaction()` (which holds the write lock)."""
    return bool(session.info.get(WRITE_OPTION))


def open_store(url: str, *, migrate: bool = True) -> Store:
    """The store at `url` (`store_url(home)` is the embedded default), its schema brought up to date."""
    engine = make_engine(url)
    if migrate:
        upgrade_engine(engine)
    return Store(engine)
