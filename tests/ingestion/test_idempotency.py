"""Re-ingesting is a no-op: same files, the same file under another name, late and out-of-order batches."""

from __future__ import annotations

import shutil

import duckdb

from dagster_project.pipeline import run_pipeline
from tests.ingestion.helpers import raw_rows
from tests.landing_builder import oms_event, write_batch


def test_second_run_ingests_nothing(home, landing):
    write_batch(landing, "oms", "b1", [oms_event(1, "CREATED"), oms_event(2)])
    write_batch(
        landing,
        "crm",
        "b1",
        [
            {
                "event_id": "c1",
                "event_ts": "2026-03-01T10:00:00Z",
                "order_ref": "ord-0000001",
                "event_type": "ticket_opened",
                "ticket_id": "T1",
            }
        ],
    )
    first = run_pipeline(home, landing, marts=False)
    assert first.systems["oms"]["rows_ingested"] == 2 and first.systems["crm"]["rows_ingested"] == 1
    second = run_pipeline(home, landing, marts=False)
    assert second.nothing_new
    assert second.systems["oms"] == {
        "files_ingested": 0,
        "files_duplicate": 1,
        "files_quarantined": 0,
        "rows_in_files": 0,
        "rows_ingested": 0,
        "rows_duplicate": 0,
        "rows_quarantined": 0,
        "failed_expectations": 0,
    }
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from oms.events").fetchone() == (2,)
        assert conn.execute("select count(*) from recon.files").fetchone() == (2,)
        assert conn.execute("select count(*) from recon.file_sightings").fetchone() == (2,)


def test_same_file_under_a_new_name_is_ingested_once(home, landing):
    original = write_batch(landing, "oms", "2026-03-01/b1", [oms_event(1), oms_event(2)])
    run_pipeline(home, landing, marts=False)
    copy = landing / "oms" / "resent" / "b1-copy.jsonl"
    copy.parent.mkdir()
    shutil.copy(original, copy)
    report = run_pipeline(home, landing, marts=False)
    assert report.systems["oms"]["files_duplicate"] == 2
    assert report.systems["oms"]["rows_ingested"] == 0
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from oms.events").fetchone() == (2,)
        assert conn.execute("select file_path from recon.file_sightings where file_path like '%copy%'").fetchall() == [
            ("oms/resent/b1-copy.jsonl",)
        ]


def test_late_and_out_of_order_batches(home, landing):
    """A late batch carrying old events and a batch named before the first one are both ingested; the
    raw table ends the same as if everything had arrived in time."""
    write_batch(landing, "oms", "2026-03-05/b5", [oms_event(5, "SHIPPED", awb="A1", carrier="x")])
    run_pipeline(home, landing, marts=False)
    write_batch(landing, "oms", "2026-03-01/b1", [oms_event(1, "CREATED"), oms_event(2)])
    write_batch(
        landing, "oms", "2026-03-09/late", [oms_event(3, "PACKED"), oms_event(5, "SHIPPED", awb="A1", carrier="x")]
    )
    report = run_pipeline(home, landing, marts=False)
    assert (report.systems["oms"]["rows_ingested"], report.systems["oms"]["rows_duplicate"]) == (3, 1)
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        assert [r[0] for r in raw_rows(conn)] == ["oms-1", "oms-2", "oms-3", "oms-5"]
        events = conn.execute("select event_id, event_ts from oms.events order by event_ts").fetchall()
        assert [e[0] for e in events] == ["oms-1", "oms-2", "oms-3", "oms-5"]
