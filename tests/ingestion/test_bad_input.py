"""Every kind of bad input gets its exact reason stored, the rest of the file is ingested, nothing is lost.

One landing zone holds every bad-input kind of SOURCE_CONTRACT.md; it is ingested by a real Dagster run
(`run_pipeline` materialises the ingest assets in-process) into a real DuckDB file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from tests.landing_builder import encode, oms_event, write_batch

PAYMENT = {
    "event_id": "pay-1",
    "event_ts": "2026-03-01T10:00:00Z",
    "order_id": "ORD-0000001",
    "payment_id": "P1",
    "status": "CAPTURED",
    "amount": "1499.00",
    "currency": "INR",
}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    landing, home = root / "landing", Home(root / "home").ensure()
    good = [oms_event(1, "CREATED"), oms_event(2), oms_event(3, "SHIPPED", awb="AWB1", carrier="bluedart")]
    write_batch(landing, "oms", "2026-03-01/good", good)
    write_batch(landing, "oms", "2026-03-01/copy_of_good", good)  # same bytes, another name
    mixed = [oms_event(n) for n in range(10, 40)]  # 5 bad lines of 33: under the 20 % limit
    mixed[4]["event_ts"] = "2026-03-01T10:00:00"  # line 5: no offset
    mixed[7].pop("order_id")  # line 8: missing required field
    lines = encode(mixed, "jsonl").decode().splitlines()
    lines.insert(2, '{"event_id": "oms-broken", "event_ts": ')  # line 3: malformed JSON
    lines.insert(10, lines[9][:-1] + ", }")  # line 11: a trailing comma (DuckDB alone would accept it)
    lines.insert(11, '{"event_id": "oms-nan", "amount": NaN}')  # line 12: NaN is not JSON
    (landing / "oms" / "2026-03-02").mkdir(parents=True)
    (landing / "oms" / "2026-03-02" / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    # Late batch: one exact repeat of an ingested event, one same event_id with other content.
    write_batch(landing, "oms", "2026-03-03/late", [oms_event(2), oms_event(3, "DELIVERED")])
    payments = [PAYMENT | {"event_id": f"pay-{n}", "payment_id": f"P{n}"} for n in range(1, 11)]
    payments[1]["amount"] = "12,5x"  # CSV line 3
    payments[2]["payment_id"] = None  # CSV line 4
    write_batch(landing, "payments", "p1", payments, fmt="csv")
    crm = [
        {
            "event_id": "crm-1",
            "event_ts": "2026-03-01T10:00:00-04:00",
            "order_ref": "#0000001",
            "event_type": "status_update",
            "status": "Shipped",
        },
        {
            "event_id": "crm-2",
            "event_ts": "2026-03-01T11:00:00-04:00",
            "order_ref": "#0000001",
            "event_type": "status_update",
        },
    ]
    write_batch(landing, "crm", "c1", crm + [crm[0] | {"event_id": f"crm-{n}"} for n in range(3, 6)])
    erp = [
        {
            "event_id": f"erp-{n}",
            "event_ts": "2026-03-02T10:00:00Z",
            "order_id": "ORD-0000001",
            "invoice_id": "I1",
            "status": "INVOICED",
            "amount": "1499",
            "currency": "INR",
        }
        for n in range(5)
    ]
    for n in (1, 2, 3):
        erp[n]["event_ts"] = "yesterday"
    write_batch(landing, "erp", "over_share", erp)
    (landing / "wms").mkdir()
    (landing / "wms" / "latin1.csv").write_bytes(
        "event_id,event_ts,order_id,status\r\nw1,2026-03-01T10:00:00Z,ORD-1,PICKED\r\n"
        "w2,2026-03-01T10:00:00Z,ORD-1,EMBALLÉ\r\n".encode("latin-1")
    )
    carrier_event = {
        "event_id": "car-1",
        "event_ts": "2026-03-01T10:00:00Z",
        "awb": "AWB1",
        "carrier": "bluedart",
        "status": "PICKUP",
    }
    parquet = write_batch(landing, "carrier", "truncated", [carrier_event], fmt="parquet")
    parquet.write_bytes(parquet.read_bytes()[:40])
    write_batch(landing, "carrier", "bad_header", [{k: v for k, v in carrier_event.items() if k != "awb"}], fmt="csv")
    write_batch(landing, "legacy_pos", "x", [carrier_event])
    (landing / "oms" / "half.jsonl.tmp").write_text("{")
    (landing / "oms" / ".partial.jsonl").write_text("{")
    report = run_pipeline(home, landing, marts=False)
    conn = duckdb.connect(str(home.warehouse), read_only=True)
    yield report, conn
    conn.close()


def test_bad_rows_are_quarantined_with_exact_reasons(ingested):
    _, conn = ingested
    rows = conn.execute(
        "select file_path, line, field, reason from recon.quarantined_rows order by file_path, line"
    ).fetchall()
    assert rows == [
        ("crm/c1.jsonl", 2, "status", "missing field 'status', required when event_type is status_update"),
        ("oms/2026-03-02/mixed.jsonl", 3, None, "malformed JSON: the line does not parse"),
        (
            "oms/2026-03-02/mixed.jsonl",
            6,
            "event_ts",
            "event_ts '2026-03-01T10:00:00' has no UTC offset; add one (Z, +05:30, ...)",
        ),
        ("oms/2026-03-02/mixed.jsonl", 9, "order_id", "missing required field 'order_id'"),
        ("oms/2026-03-02/mixed.jsonl", 11, None, "malformed JSON: the line does not parse"),
        ("oms/2026-03-02/mixed.jsonl", 12, None, "malformed JSON: the line does not parse"),
        ("payments/p1.csv", 3, "amount", "amount '12,5x' is not a number"),
        ("payments/p1.csv", 4, "payment_id", "missing required field 'payment_id'"),
    ]


def test_quarantined_rows_keep_their_source_text(ingested):
    _, conn = ingested
    raw = dict(conn.execute("select file_path || ':' || line, raw_text from recon.quarantined_rows").fetchall())
    assert raw["oms/2026-03-02/mixed.jsonl:3"] == '{"event_id": "oms-broken", "event_ts": '
    assert raw["payments/p1.csv:3"] == 'pay-2,2026-03-01T10:00:00Z,ORD-0000001,P2,CAPTURED,"12,5x",INR'


def test_unreadable_and_mostly_bad_files_are_quarantined_whole(ingested):
    _, conn = ingested
    files = conn.execute(
        "select file_path, rows_total, rows_invalid, reason from recon.quarantined_files order by file_path"
    ).fetchall()
    assert [f[:3] for f in files] == [
        ("carrier/bad_header.csv", 0, 0),
        ("carrier/truncated.parquet", 0, 0),
        ("erp/over_share.jsonl", 5, 3),
        ("wms/latin1.csv", 2, 2),
    ]
    reasons = {f[0]: f[3] for f in files}
    assert reasons["carrier/bad_header.csv"] == (
        "wrong CSV header: missing required column(s) awb; a carrier batch needs event_id, event_ts, awb, "
        "carrier, status"
    )
    assert reasons["carrier/truncated.parquet"].startswith("unreadable Parquet (truncated or corrupt): ")
    assert reasons["erp/over_share.jsonl"] == (
        "3 of 5 rows invalid (60%), over the 20% limit (ingest.max_invalid_share); first problems: "
        "line 2: event_ts 'yesterday' is not an ISO 8601 timestamp (e.g. 2026-03-01T10:15:00+05:30); "
        "line 3: event_ts 'yesterday' is not an ISO 8601 timestamp (e.g. 2026-03-01T10:15:00+05:30); "
        "line 4: event_ts 'yesterday' is not an ISO 8601 timestamp (e.g. 2026-03-01T10:15:00+05:30)"
    )
    assert reasons["wms/latin1.csv"] == (
        "not UTF-8: byte 0xc9 on line 3 cannot be decoded; re-export the file as UTF-8"
    )


def test_quarantined_files_are_kept_for_replay(ingested):
    _, conn = ingested
    for stored, sha in conn.execute("select stored_path, file_sha256 from recon.quarantined_files").fetchall():
        assert stored.endswith(sha + stored[stored.rindex(".") :])
        assert hashlib.sha256(Path(stored).read_bytes()).hexdigest() == sha


def test_counts_per_system(ingested):
    report, _ = ingested
    assert report.systems["oms"] == {
        "files_ingested": 3,
        "files_duplicate": 1,
        "files_quarantined": 0,
        "rows_in_files": 38,
        "rows_ingested": 31,
        "rows_duplicate": 2,
        "rows_quarantined": 5,
        "failed_expectations": 2,
    }
    assert report.systems["payments"]["rows_ingested"] == 8
    assert report.systems["payments"]["rows_quarantined"] == 2
    assert report.systems["erp"] == {
        "files_ingested": 0,
        "files_duplicate": 0,
        "files_quarantined": 1,
        "rows_in_files": 5,
        "rows_ingested": 0,
        "rows_duplicate": 0,
        "rows_quarantined": 5,
        "failed_expectations": 2,
    }  # 'yesterday' is neither ISO 8601 nor has an offset
    assert report.systems["carrier"]["files_quarantined"] == 2
    assert report.systems["wms"]["files_quarantined"] == 1
    assert report.systems["integration_log"] == dict.fromkeys(report.systems["integration_log"], 0)


def test_nothing_is_lost(ingested):
    report, conn = ingested
    for system, counts in report.systems.items():
        assert (
            counts["rows_ingested"] + counts["rows_duplicate"] + counts["rows_quarantined"] == counts["rows_in_files"]
        ), system
        (in_raw,) = conn.execute(f"select count(*) from {system}.events").fetchone()
        assert in_raw == counts["rows_ingested"], system


def test_duplicate_event_ids_keep_the_first_copy_and_record_the_rest(ingested):
    _, conn = ingested
    dupes = conn.execute(
        "select event_id, file_path, line, same_content, raw_text is not null "
        "from recon.duplicate_events order by event_id"
    ).fetchall()
    assert dupes == [
        ("oms-2", "oms/2026-03-03/late.jsonl", 1, True, False),
        ("oms-3", "oms/2026-03-03/late.jsonl", 2, False, True),
    ]
    assert conn.execute("select status from oms.events where event_id = 'oms-3'").fetchone() == ("SHIPPED",)


def test_skipped_files_and_unknown_folders_are_reported(ingested):
    report, _ = ingested
    assert report.unknown_folders == ["legacy_pos"]
    assert [(s.rel_path, s.reason) for s in report.skipped] == [
        ("oms/.partial.jsonl", "hidden file (name starts with '.')"),
        ("oms/half.jsonl.tmp", "still being written (.tmp): picked up once renamed"),
    ]


def test_timestamps_are_stored_in_utc_with_defaults(ingested):
    _, conn = ingested
    row = conn.execute("select event_ts, recorded_at, actor from crm.events where event_id = 'crm-1'").fetchone()
    assert [v.isoformat() for v in row[:2]] == ["2026-03-01T14:00:00", "2026-03-01T14:00:00"]
    assert row[2] == "system"
