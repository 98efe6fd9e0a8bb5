"""Every store test runs twice: on SQLite (a file in tmp_path) and on PostgreSQL.

PostgreSQL needs RECON_TEST_PG_URL (postgresql://user@host:port/dbname, a user who may create databases):
one database named recon_store_test_<random> is created for the session and dropped at its end, and each
test gets a schema of its own in it (through the URL's search_path), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from dagster_project.store import Store, open_store, store_url

PG_URL = os.environ.get("RECON_TEST_PG_URL")
PG_SKIP = (
    "set RECON_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres) to run the store tests on PostgreSQL"
)


def _pg_engine(url):
    url = make_url(url)
    return create_engine(url.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database_url() -> str:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = f"recon_store_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_engine(PG_URL)
    with admin.connect() as conn:
        conn.execute(text(f"create database {name}"))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"drop database if exists {name} with (force)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path: Path) -> str:
    """A URL to an empty store: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield store_url(tmp_path / "home")
        return
    database_url = request.getfixturevalue("pg_database_url")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = _pg_engine(database_url)
    with engine.connect() as conn:
        conn.execute(text(f"create schema {schema}"))
    try:
        yield (
            make_url(database_url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        engine.dispose()


@pytest.fixture
def store(db_url: str) -> Store:
    store = open_store(db_url)
    yield store
    store.close()
