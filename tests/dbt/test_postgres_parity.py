"""The same dbt project on PostgreSQL gives the same fct_divergences as on DuckDB (INTERFACES.md "Scale-out").

Runs only with RECON_TEST_PG_URL (postgresql://user:password@host:port/dbname) pointing at a server where
that user may create databases: the test lands and ingests every scenario of test_rules.py into DuckDB and
builds it there, copies the raw tables ingestion wrote into a throw-away database (raw schemas oms, wms,
...), builds the models there too, compares the divergence marts row by row, and drops the database.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from dagster_project.contract import SYSTEMS
from dagster_project.ingestion.raw_schema import raw_columns, raw_table
from tests.dbt import test_rules
from tests.dbt.recon_dbt_harness import AS_OF, Marts, dbt_build, iso

PG_URL = os.environ.get("RECON_TEST_PG_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="set RECON_TEST_PG_URL to run the PostgreSQL parity test"),
]


def _normalise(rows):
    return [
        {key: (float(value) if isinstance(value, Decimal) else value) for key, value in row.items()} for row in rows
    ]


def _connect(dbname: str | None = None):
    import psycopg2

    url = urlparse(PG_URL)
    conn = psycopg2.connect(
        host=url.hostname or "localhost",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=dbname or url.path.lstrip("/") or "postgres",
    )
    conn.autocommit = True
    return conn


def _copy_raw_tables(source: Marts, cursor) -> None:
    """Every raw table of the DuckDB warehouse (contract columns and ingestion metadata), as ingestion wrote it."""
    for system in SYSTEMS:
        names = [name for name, _ in raw_columns(system)]
        rows = source.conn.execute(f"select {', '.join(names)} from {raw_table(system)}").fetchall()
        marks = ", ".join("%s" for _ in names)
        cursor.executemany(f"insert into {raw_table(system)} ({', '.join(names)}) values ({marks})", rows)


@pytest.fixture(scope="module")
def duckdb_marts(marts_for):
    return marts_for(test_rules.SCENARIOS, name="duckdb_parity")


@pytest.fixture(scope="module")
def postgres_divergences(tmp_path_factory, duckdb_marts):
    import psycopg2.extras

    url = urlparse(PG_URL)
    database = f"recon_test_{uuid.uuid4().hex[:8]}"
    admin = _connect()
    with admin.cursor() as cursor:
        cursor.execute(f"create database {database}")
    try:
        conn = _connect(database)
        with conn.cursor() as cursor:
            for system in SYSTEMS:
                columns = ", ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(system))
                cursor.execute(f"create schema {system}")
                cursor.execute(f"create table {raw_table(system)} ({columns})")
            _copy_raw_tables(duckdb_marts, cursor)
        dbt_build(
            tmp_path_factory.mktemp("postgres"),
            {"as_of": iso(AS_OF)},
            target="postgres",
            RECON_PG_HOST=url.hostname or "localhost",
            RECON_PG_PORT=str(url.port or 5432),
            RECON_PG_USER=url.username or "",
            RECON_PG_PASSWORD=url.password or "",
            RECON_PG_DBNAME=database,
            RECON_PG_SCHEMA="marts",
        )
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute("select * from marts.fct_divergences order by divergence_id")
            rows = [dict(row) for row in cursor.fetchall()]
        conn.close()
        yield _normalise(rows)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {database} with (force)")
        admin.close()


@pytest.fixture(scope="module")
def duckdb_divergences(duckdb_marts):
    return _normalise(duckdb_marts.rows("select * from main.fct_divergences order by divergence_id"))


def test_postgres_builds_the_same_divergences_as_duckdb(postgres_divergences, duckdb_divergences):
    assert len(postgres_divergences) == len(duckdb_divergences) > 0
    for on_postgres, on_duckdb in zip(postgres_divergences, duckdb_divergences, strict=True):
        assert on_postgres == on_duckdb
