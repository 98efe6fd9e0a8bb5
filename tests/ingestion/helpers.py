"""Ingest a landing zone without Dagster (the same code the ingest assets run) and read raw tables back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.contract import field_names
from dagster_project.ingestion.landing import scan_landing
from dagster_project.ingestion.load import IngestContext, SystemIngest, ingest_system


def ingest(conn: duckdb.DuckDBPyConnection, landing: Path, quarantine: Path, system: str = "oms") -> SystemIngest:
    ctx = IngestContext(conn, quarantine, 0.2, "test-run", datetime(2026, 3, 2))
    return ingest_system(ctx, system, scan_landing(landing, systems=(system,)).files[system])


def raw_rows(conn: duckdb.DuckDBPyConnection, system: str = "oms") -> list[tuple]:
    """The raw table's content: contract fields and extras, without ingestion metadata."""
    columns = ", ".join(field_names(system))
    return conn.execute(f"select {columns}, extras::varchar from {system}.events order by event_id").fetchall()
