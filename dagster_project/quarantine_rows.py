"""Reading the files ingestion quarantined whole (`recon.quarantined_files`, docs/ingestion.md): what the store's
`sync_quarantined_files` turns into schema-drift exceptions."""

from __future__ import annotations

import duckdb

# recon.quarantined_files (ingestion/raw_schema.py): the columns a schema-drift exception needs.
QUARANTINED_FILE_COLUMNS = (
    "system",
    "file_path",
    "file_sha256",
    "stored_path",
    "rows_total",
    "rows_invalid",
    "reason",
    "quarantined_at",
    "run_id",
    "replayed_at",
)


def quarantined_files(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """One dict per file quarantined whole, oldest first, then by path. `file_path` is relative to the landing
    zone, `stored_path` the copy kept in the home; times are naive UTC `datetime`s, as DuckDB returns them."""
    cursor = conn.execute(
        f"select {', '.join(QUARANTINED_FILE_COLUMNS)} from recon.quarantined_files "
        "order by quarantined_at, file_path, file_sha256"
    )
    return [dict(zip(QUARANTINED_FILE_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
