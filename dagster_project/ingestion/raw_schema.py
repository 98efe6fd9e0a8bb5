"""DDL of the warehouse's raw layer and of the ingestion bookkeeping tables.

Raw events live in one schema per system, table `events` (`oms.events`, `carrier.events`, ...), so the
Dagster asset key `[system, "events"]` and the dbt `source(system, "events")` name the same thing.
Timestamps are stored as naive TIMESTAMP in UTC. Bookkeeping lives in schema `recon`.
"""

from __future__ import annotations

import duckdb

from dagster_project.contract import DECIMAL, INTEGER, SYSTEMS, TIMESTAMP, fields

SQL_TYPES = {TIMESTAMP: "TIMESTAMP", DECIMAL: "DECIMAL(18, 4)", INTEGER: "INTEGER"}

# Ingestion metadata carried by every raw row, after the contract columns.
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("extras", "JSON"),  # fields/columns the contract does not name, kept as a JSON object
    ("_file_path", "VARCHAR"),  # path of the batch file relative to the landing zone
    ("_file_sha256", "VARCHAR"),  # the batch's identity (its content hash)
    ("_line", "INTEGER"),  # 1-based line (JSONL/CSV physical line of the row's start; Parquet row number)
    ("_ingested_at", "TIMESTAMP"),
    ("_run_id", "VARCHAR"),
)


def raw_columns(system: str) -> list[tuple[str, str]]:
    cols = [(f.name, SQL_TYPES.get(f.type, "VARCHAR")) for f in fields(system)]
    return cols + list(META_COLUMNS)


def raw_table(system: str) -> str:
    return f"{system}.events"


BOOKKEEPING_DDL = """
create schema if not exists recon;
create table if not exists recon.files (
    sha256 varchar primary key,
    system varchar not null,
    file_path varchar not null,
    file_format varchar not null,
    size_bytes bigint not null,
    rows_total integer not null,
    rows_ingested integer not null,
    rows_duplicate integer not null,
    rows_quarantined integer not null,
    status varchar not null,            -- ingested | quarantined
    ingested_at timestamp not null,
    run_id varchar
);
create table if not exists recon.file_sightings (
    sha256 varchar not null,            -- a registered file seen again under this path
    file_path varchar not null,
    seen_at timestamp not null,
    run_id varchar
);
create table if not exists recon.quarantined_rows (
    system varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    line integer not null,
    raw_text varchar,
    field varchar,
    reason varchar not null,
    quarantined_at timestamp not null,
    run_id varchar,
    replayed_at timestamp
);
create table if not exists recon.quarantined_files (
    system varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    stored_path varchar not null,       -- copy kept in the home for replay
    rows_total integer not null,
    rows_invalid integer not null,
    reason varchar not null,
    quarantined_at timestamp not null,
    run_id varchar,
    replayed_at timestamp
);
create table if not exists recon.duplicate_events (
    system varchar not null,
    event_id varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    line integer not null,
    same_content boolean not null,      -- false: same event_id, different fields (first recorded kept)
    raw_text varchar,
    seen_at timestamp not null,
    run_id varchar
);
"""


# Columns added after the tables first shipped: added to a warehouse created before them, too.
ADDED_COLUMNS_DDL = """
-- the replay (replay_quarantine.py) that took the row or file out of quarantine
alter table recon.quarantined_rows add column if not exists replay_id varchar;
alter table recon.quarantined_files add column if not exists replay_id varchar;
-- the bytes that replay ingested: the kept copy's own sha256, or the corrected file's
alter table recon.quarantined_files add column if not exists replayed_sha256 varchar;
"""


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every raw and bookkeeping table and column that does not exist yet (idempotent)."""
    conn.execute(BOOKKEEPING_DDL)
    conn.execute(ADDED_COLUMNS_DDL)
    for system in SYSTEMS:
        cols = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(system))
        conn.execute(f"create schema if not exists {system}")
        conn.execute(f"create table if not exists {raw_table(system)} (\n    {cols}\n)")
