"""`quarantined_files` reads what a real ingestion quarantined whole, and those rows open one schema-drift
exception per file content in the store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import duckdb
import pytest

from dagster_project.quarantine_rows import quarantined_files
from dagster_project.store import open_store, store_url, sync_quarantined_files
from tests.ingestion.helpers import ingest
from tests.landing_builder import write_batch

CARRIER_EVENT = {
    "event_id": "car-1",
    "event_ts": "2026-03-01T10:00:00Z",
    "awb": "AWB1",
    "carrier": "bluedart",
    "status": "PICKUP",
}
HEADER_REASON = (
    "wrong CSV header: missing required column(s) awb; a carrier batch needs event_id, event_ts, awb, carrier, status"
)


@pytest.fixture
def landed(tmp_path):
    """A carrier landing zone: a good CSV, one whose header lacks `awb`, and the same bad bytes resent later
    under another name; ingested into a DuckDB file."""
    landing, quarantine = tmp_path / "landing", tmp_path / "home" / "quarantine"
    bad = write_batch(
        landing, "carrier", "2026-03-01/bad_header", [{k: v for k, v in CARRIER_EVENT.items() if k != "awb"}], "csv"
    )
    write_batch(landing, "carrier", "2026-03-01/good", [CARRIER_EVENT], "csv")
    (landing / "carrier" / "2026-03-02").mkdir()
    (landing / "carrier" / "2026-03-02" / "resent.csv").write_bytes(bad.read_bytes())
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    result = ingest(conn, landing, quarantine, system="carrier")
    yield conn, landing, quarantine, hashlib.sha256(bad.read_bytes()).hexdigest(), result
    conn.close()


def test_a_wrong_header_is_read_back_as_one_quarantined_file(landed):
    conn, _, quarantine, sha, result = landed

    assert (result.files_ingested, result.files_quarantined, result.files_duplicate) == (1, 1, 1)
    assert quarantined_files(conn) == [
        {
            "system": "carrier",
            "file_path": "carrier/2026-03-01/bad_header.csv",
            "file_sha256": sha,
            "stored_path": str(quarantine / f"{sha}.csv"),
            "rows_total": 0,
            "rows_invalid": 0,
            "reason": HEADER_REASON,
            "quarantined_at": datetime(2026, 3, 2),
            "run_id": "test-run",
            "replayed_at": None,
        }
    ]


def test_the_quarantined_file_opens_one_exception_once(landed, tmp_path):
    conn, landing, quarantine, sha, _ = landed
    store = open_store(store_url(tmp_path / "home"))
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    first = sync_quarantined_files(store, quarantined_files(conn), now, channel="#integrations")
    # The next run ingests nothing new (the bytes are registered) and the pass finds the exception it opened.
    ingest(conn, landing, quarantine, system="carrier")
    again = sync_quarantined_files(store, quarantined_files(conn), now, channel="#integrations")

    assert (first.counts(), again.counts()) == ({"opened": 1, "known": 0}, {"opened": 0, "known": 1})
    (message,) = first.messages
    assert (message.kind, message.channel, message.payload["exception"]["cluster_id"]) == (
        "post_parent",
        "#integrations",
        f"file:{sha}",
    )
    assert (message.payload["file"]["file_path"], message.payload["file"]["reason"]) == (
        "carrier/2026-03-01/bad_header.csv",
        HEADER_REASON,
    )
    assert message.payload["file"]["quarantined_at"] == "2026-03-02T00:00:00.000000Z"
    store.close()
