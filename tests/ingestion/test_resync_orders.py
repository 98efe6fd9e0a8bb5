"""`resync_orders` after a real ingestion: a source resends one order's events in new files that also hold
other orders' rows. Only that order's new events are ingested, the files stay unregistered, and the next
normal run ingests the rest of them, each event once."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from datetime import datetime

import duckdb
import pytest

from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError
from dagster_project.ingestion.landing import SkippedFile
from dagster_project.ingestion.load import IngestContext
from dagster_project.ingestion.replay import InvalidRow, SystemResync, resync_orders
from tests.ingestion.helpers import ingest
from tests.landing_builder import oms_event, write_batch

ORDER_1, ORDER_2, ORDER_3 = "ORD-0000001", "ORD-0000002", "ORD-0000003"


def carrier_event(n: int, awb: str, status: str) -> dict:
    return {
        "event_id": f"car-{n}",
        "event_ts": f"2026-03-02T{n:02d}:00:00Z",
        "awb": awb,
        "carrier": "bluedart",
        "status": status,
    }


def crm_event(n: int, order_ref: str, event_type: str = "status_update", **fields) -> dict:
    event = {
        "event_id": f"crm-{n}",
        "event_ts": "2026-03-02T10:00:00Z",
        "order_ref": order_ref,
        "event_type": event_type,
    }
    return event | fields


def ingest_landing(conn, landing, quarantine) -> dict:
    return {system: ingest(conn, landing, quarantine, system) for system in SYSTEMS}


def table(conn, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def bookkeeping(conn) -> dict:
    return {
        name: table(conn, f"select * from recon.{name} order by all")
        for name in ("files", "file_sightings", "quarantined_rows", "quarantined_files", "duplicate_events")
    }


@pytest.fixture
def resent(tmp_path):
    """Ingested: orders 1 and 2 (order 1 shipped with AWB1; its line 4 quarantined for a timestamp without
    offset), AWB1's pickup, order 1's CRM status (as `#0000001`), a carrier file quarantined for its header.
    Then new files land: order 1's delivery and replacement (AWB9) among other orders' events, with one repeat
    and one row without status; AWB1's delivery and AWB9's pickup beside another order's AWB2; a CRM ticket
    for `ord-0000001` beside order 2's status; a WMS file that is not UTF-8."""
    landing, quarantine = tmp_path / "landing", tmp_path / "home" / "quarantine"
    write_batch(
        landing,
        "oms",
        "2026-03-01/b1",
        [
            oms_event(1, "CREATED", ORDER_1),
            oms_event(2, "CREATED", ORDER_2),
            oms_event(3, "SHIPPED", ORDER_1, awb="AWB1", carrier="bluedart"),
            oms_event(4, "PACKED", ORDER_1, event_ts="2026-03-01T04:00:00"),
            oms_event(5, "CONFIRMED", ORDER_2),
        ],
    )
    write_batch(landing, "carrier", "2026-03-01/c1", [carrier_event(1, "AWB1", "PICKUP")], "csv")
    write_batch(landing, "carrier", "2026-03-01/bad_header", [{"event_id": "car-0", "status": "PICKUP"}], "csv")
    write_batch(landing, "crm", "2026-03-01/r1", [crm_event(1, "#0000001", status="Shipped")])
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    first = ingest_landing(conn, landing, quarantine)
    assert (first["oms"].rows_ingested, first["oms"].rows_quarantined, first["carrier"].files_quarantined) == (4, 1, 1)

    write_batch(
        landing,
        "oms",
        "2026-03-02/resent",
        [
            oms_event(10, "DELIVERED", ORDER_1),
            oms_event(1, "CREATED", ORDER_1),
            oms_event(11, None, ORDER_1),
            oms_event(20, "CONFIRMED", ORDER_2),
            oms_event(30, "CREATED", ORDER_3),
            oms_event(12, "REPLACEMENT_CREATED", ORDER_1, awb="AWB9", carrier="bluedart"),
        ],
    )
    write_batch(
        landing,
        "carrier",
        "2026-03-02/c2",
        [carrier_event(2, "AWB1", "DLVD"), carrier_event(3, "AWB2", "IN_TRANSIT"), carrier_event(4, "AWB9", "PICKUP")],
    )
    write_batch(
        landing,
        "crm",
        "2026-03-02/r2",
        [crm_event(2, "ord-0000001", "ticket_opened", ticket_id="T1"), crm_event(3, "0000002", status="Shipped")],
    )
    (landing / "wms" / "2026-03-02").mkdir(parents=True)
    (landing / "wms" / "2026-03-02" / "w1.jsonl").write_bytes(b'{"event_id": "wms-1", "status": "\xff"}\n')
    ctx = IngestContext(conn, quarantine, 0.2, "resync-run", datetime(2026, 3, 3))
    yield ctx, landing
    conn.close()


def test_resync_ingests_only_the_orders_new_events_and_registers_no_file(resent):
    ctx, landing = resent
    conn = ctx.conn
    before = bookkeeping(conn)

    resync = resync_orders(ctx, landing, ["#0000001", "ORD-0009999"], replay_id="R1")

    assert resync.order_ids == [ORDER_1, "ORD-0009999"]
    assert resync.missing == ["ORD-0009999"]
    assert resync.systems == {s: SystemResync(s) for s in SYSTEMS} | {
        "oms": SystemResync(
            "oms", rows_found=7, rows_ingested=2, rows_duplicate=3, rows_invalid=1, rows_in_quarantine=1
        ),
        "carrier": SystemResync("carrier", rows_found=3, rows_ingested=2, rows_duplicate=1),
        "crm": SystemResync("crm", rows_found=2, rows_ingested=1, rows_duplicate=1),
    }
    assert resync.invalid_rows == [
        InvalidRow("oms", "oms/2026-03-02/resent.jsonl", 3, ORDER_1, "status", "missing required field 'status'", False)
    ]
    assert json.loads(json.dumps(resync.to_json()))["invalid_rows"] == [
        {
            "system": "oms",
            "file_path": "oms/2026-03-02/resent.jsonl",
            "line": 3,
            "order_id": ORDER_1,
            "field": "status",
            "reason": "missing required field 'status'",
            "file_registered": False,
        }
    ]
    assert resync.skipped_files == [
        SkippedFile(
            "wms/2026-03-02/w1.jsonl",
            "unreadable: not UTF-8: byte 0xff on line 1 cannot be decoded; re-export the file as UTF-8",
        ),
        SkippedFile(
            "carrier/2026-03-01/bad_header.csv",
            "quarantined whole: its rows come back through the quarantine replay",
        ),
    ]
    inserted = (
        "select event_id, _file_path, _line from {} where _run_id = 'resync-run' and _ingested_at = '2026-03-03' "
        "order by event_id"
    )
    assert table(conn, inserted.format("oms.events")) == [
        ("oms-10", "oms/2026-03-02/resent.jsonl", 1),
        ("oms-12", "oms/2026-03-02/resent.jsonl", 6),
    ]
    assert table(conn, inserted.format("carrier.events")) == [
        ("car-2", "carrier/2026-03-02/c2.jsonl", 1),
        ("car-4", "carrier/2026-03-02/c2.jsonl", 3),
    ]
    assert table(conn, inserted.format("crm.events")) == [("crm-2", "crm/2026-03-02/r2.jsonl", 1)]
    assert bookkeeping(conn) == before

    again = resync_orders(ctx, landing, [ORDER_1], replay_id="R2")

    assert sum(s.rows_ingested for s in again.systems.values()) == 0
    assert (again.systems["oms"].rows_duplicate, again.systems["carrier"].rows_duplicate) == (5, 3)

    # The next normal run ingests the new files whole: the rest of their rows, once.
    normal = ingest_landing(conn, landing, ctx.quarantine_dir)
    assert {
        s: (r.files_ingested, r.rows_ingested, r.rows_duplicate, r.rows_quarantined) for s, r in normal.items()
    } == {
        "oms": (1, 2, 3, 1),
        "wms": (0, 0, 0, 1),
        "carrier": (1, 1, 2, 0),
        "crm": (1, 1, 1, 0),
        "payments": (0, 0, 0, 0),
        "erp": (0, 0, 0, 0),
        "integration_log": (0, 0, 0, 0),
    }
    for system, events in (("oms", 8), ("carrier", 4), ("crm", 3)):
        assert table(conn, f"select count(*), count(distinct event_id) from {system}.events") == [(events, events)]
    assert table(
        conn, "select file_path, line, reason from recon.quarantined_rows where file_path like '%resent%'"
    ) == [("oms/2026-03-02/resent.jsonl", 3, "missing required field 'status'")]


def test_an_unknown_order_is_reported_missing(resent):
    ctx, landing = resent

    resync = resync_orders(ctx, landing, ["ord-0009999"], replay_id="R1")

    assert (resync.order_ids, resync.missing) == (["ORD-0009999"], ["ORD-0009999"])
    assert resync.systems == {s: SystemResync(s) for s in SYSTEMS}


def test_no_order_is_refused(resent):
    ctx, landing = resent
    with pytest.raises(ReconError) as refused:
        resync_orders(ctx, landing, [" "], replay_id="R1")
    assert str(refused.value) == ("no order id given: name at least one order (ORD-0001234, #0001234, ord-0001234 ...)")


def test_resync_on_a_copy_of_the_warehouse_leaves_the_original_byte_identical(resent, tmp_path):
    ctx, landing = resent
    ctx.conn.close()
    original = tmp_path / "warehouse.duckdb"
    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    scratch.parent.mkdir()
    shutil.copy(original, scratch)
    before = hashlib.sha256(original.read_bytes()).hexdigest()

    with duckdb.connect(str(scratch)) as copy:
        resync = resync_orders(replace(ctx, conn=copy), landing, [ORDER_1], replay_id="dry-run")
        assert copy.execute("select count(*) from oms.events").fetchone() == (6,)

    assert resync.systems["oms"].rows_ingested == 2
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before
    with duckdb.connect(str(original), read_only=True) as live:
        assert live.execute("select count(*) from oms.events").fetchone() == (4,)
