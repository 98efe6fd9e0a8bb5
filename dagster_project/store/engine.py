"""The store's engine: SQLite (WAL, foreign keys on, writers begin IMMEDIATE) or PostgreSQL, and its write lock."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text

STORE_FILE = "store.sqlite"
WRITE_OPTION = "recon_store_write"
# pg_advisory_xact_lock key: the bytes of "recon" as an integer; any constant shared by all writers works.
_PG_LOCK_KEY = int.from_bytes(b"recon", "big")


def store_url(home: Path) -> str:
    """The embedded default: `sqlite:///<home>/store.sqlite`."""
    return f"sqlite:///{Path(home) / STORE_FILE}"


def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # The driver's own transaction handling is switched off: SQLAlchemy emits BEGIN (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma journal_mode=WAL")
    cursor.execute("pragma synchronous=NORMAL")
    cursor.execute("pragma foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # A writer takes the database's write lock up front, so its reads and writes see one state.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "BEGIN")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; the project installs psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() != "sqlite":
        # values_plus_batch: the ORM's many-row UPDATEs go in batches, not one round trip per row.
        options = {"executemany_mode": "values_plus_batch"} if parsed.get_driver_name() == "psycopg2" else {}
        return create_engine(parsed, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions marked as writing (on SQLite they begin IMMEDIATE)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def write_lock(connection) -> None:
    """Called first in every writing transaction (SQLite already holds the lock from BEGIN IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
