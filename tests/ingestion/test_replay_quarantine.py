"""`replay_quarantined` on what a real ingestion quarantined: a file rejected whole for its CSV header and then
corrected, a file rejected for its share of invalid rows once the limit is raised, rows rejected by a contract
rule that is then relaxed. Each row leaves quarantine once; a second replay ingests nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from datetime import datetime

import duckdb
import pytest

from dagster_project import contract
from dagster_project.contract import Field
from dagster_project.errors import ReconError
from dagster_project.ingestion.load import IngestContext
from dagster_project.ingestion.replay import (
    StillInvalidRow,
    StillQuarantinedFile,
    SystemReplay,
    corrected_path,
    replay_quarantined,
)
from expectations import contracts
from tests.ingestion.helpers import ingest
from tests.landing_builder import encode, oms_event, write_batch

NOW = datetime(2026, 3, 3)
ZERO = {
    "rows_replayed": 0,
    "rows_ingested": 0,
    "rows_duplicate": 0,
    "rows_still_invalid": 0,
    "files_replayed": 0,
    "files_still_quarantined": 0,
    "file_rows_ingested": 0,
    "file_rows_duplicate": 0,
    "file_rows_quarantined": 0,
}


def carrier_event(n: int, status: str = "IN_TRANSIT", **fields) -> dict:
    return {
        "event_id": f"car-{n}",
        "event_ts": f"2026-03-01T{n:02d}:00:00Z",
        "awb": f"AWB{n}",
        "carrier": "bluedart",
        "status": status,
    } | fields


def crm_event(n: int, event_type: str = "status_update", **fields) -> dict:
    event = {
        "event_id": f"crm-{n}",
        "event_ts": f"2026-03-01T{n % 24:02d}:00:00+05:30",
        "order_ref": f"#{n:07d}",
        "event_type": event_type,
    }
    if event_type == "status_update":
        event["status"] = "Shipped"
    return event | fields


def replay_context(conn, tmp_path) -> IngestContext:
    """The context of a replay run; the ingestion before it ran as `test-run` (tests/ingestion/helpers.py)."""
    return IngestContext(conn, tmp_path / "home" / "quarantine", 0.2, "replay-run", NOW)


def counts(replay, system: str) -> dict:
    found = replay.systems[system]
    return {name: getattr(found, name) for name in ZERO}


def table(conn, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- a CSV file quarantined whole for its header, then corrected -------------------------------------------------


@pytest.fixture
def wrong_header(tmp_path):
    """carrier/good.csv ingested; carrier/bad_header.csv (no `awb` column) quarantined whole; a corrected copy
    beside the kept copy, whose 6 rows are 4 new events, 1 event of good.csv and 1 NDR without ndr_reason."""
    landing = tmp_path / "landing"
    write_batch(landing, "carrier", "2026-03-01/good", [carrier_event(n) for n in (1, 2, 3, 4, 5)], "csv")
    fixed = [carrier_event(n) for n in (10, 11, 12, 13)] + [carrier_event(1), carrier_event(14, "NDR")]
    broken = [{k: v for k, v in e.items() if k != "awb"} for e in fixed]
    bad = write_batch(landing, "carrier", "2026-03-01/bad_header", broken, "csv")
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ctx = replay_context(conn, tmp_path)
    ingested = ingest(conn, landing, ctx.quarantine_dir, "carrier")
    assert (ingested.files_ingested, ingested.files_quarantined, ingested.rows_ingested) == (1, 1, 5)
    bad_sha = sha256(bad.read_bytes())
    kept = ctx.quarantine_dir / f"{bad_sha}.csv"
    assert kept.read_bytes() == bad.read_bytes()
    corrected = corrected_path(kept)
    corrected.write_bytes(encode(fixed, "csv"))
    yield ctx, landing, bad_sha, corrected
    conn.close()


def test_corrected_file_is_named_beside_the_kept_copy(tmp_path):
    assert corrected_path(tmp_path / "abc.csv") == tmp_path / "abc.corrected.csv"


def test_a_corrected_file_replaces_the_quarantined_one_and_each_row_is_ingested_once(wrong_header):
    ctx, landing, bad_sha, corrected = wrong_header
    conn, fixed_sha = ctx.conn, sha256(corrected.read_bytes())

    replay = replay_quarantined(ctx, replay_id="R1")

    assert counts(replay, "carrier") == ZERO | {
        "files_replayed": 1,
        "file_rows_ingested": 4,
        "file_rows_duplicate": 1,
        "file_rows_quarantined": 1,
    }
    assert all(counts(replay, s) == ZERO for s in replay.systems if s != "carrier")
    assert replay.replayed_files == [("carrier", "carrier/2026-03-01/bad_header.csv")]
    assert (replay.still_invalid, replay.still_quarantined) == ([], [])
    assert json.loads(json.dumps(replay.to_json()))["systems"]["carrier"]["file_rows_ingested"] == 4
    assert table(
        conn,
        "select event_id, awb, _file_path, _file_sha256, _line, _run_id from carrier.events "
        "where _run_id = 'replay-run' order by event_id",
    ) == [
        (f"car-{n}", f"AWB{n}", "carrier/2026-03-01/bad_header.csv", fixed_sha, line, "replay-run")
        for n, line in ((10, 2), (11, 3), (12, 4), (13, 5))
    ]
    assert table(conn, "select count(*), count(distinct event_id) from carrier.events") == [(9, 9)]
    assert table(
        conn,
        "select sha256, file_path, file_format, rows_total, rows_ingested, rows_duplicate, rows_quarantined, "
        "status, run_id from recon.files where system = 'carrier' and file_path like '%bad_header%' order by status",
    ) == [
        (fixed_sha, "carrier/2026-03-01/bad_header.csv", "csv", 6, 4, 1, 1, "ingested", "replay-run"),
        (bad_sha, "carrier/2026-03-01/bad_header.csv", "csv", 0, 0, 0, 0, "quarantined", "test-run"),
    ]
    assert table(conn, "select file_sha256, replayed_at, replay_id, replayed_sha256 from recon.quarantined_files") == [
        (bad_sha, NOW, "R1", fixed_sha)
    ]
    assert table(conn, "select file_sha256, line, field, reason, replayed_at from recon.quarantined_rows") == [
        (fixed_sha, 7, "ndr_reason", "missing field 'ndr_reason', required when status is NDR", None)
    ]
    assert table(conn, "select event_id, file_sha256, line, same_content from recon.duplicate_events") == [
        ("car-1", fixed_sha, 6, True)
    ]

    again = replay_quarantined(ctx, replay_id="R2")

    # The corrected file's invalid row is checked again and stays; nothing else is left to replay.
    assert counts(again, "carrier") == ZERO | {"rows_still_invalid": 1}
    assert again.still_invalid == [
        StillInvalidRow(
            "carrier",
            "carrier/2026-03-01/bad_header.csv",
            fixed_sha,
            7,
            "ndr_reason",
            "missing field 'ndr_reason', required when status is NDR",
        )
    ]
    assert table(conn, "select count(*) from carrier.events") == [(9,)]

    # The source sends the same correction to the landing zone: a normal run finds nothing new.
    shutil.copy(corrected, landing / "carrier" / "2026-03-01" / "bad_header_fixed.csv")
    normal = ingest(conn, landing, ctx.quarantine_dir, "carrier")
    assert (normal.files_duplicate, normal.files_ingested, normal.rows_ingested, normal.rows_quarantined) == (
        3,
        0,
        0,
        0,
    )
    assert table(conn, "select count(*) from carrier.events") == [(9,)]


def test_without_a_correction_the_file_stays_quarantined_untouched(wrong_header):
    ctx, _, bad_sha, corrected = wrong_header
    corrected.unlink()
    before = table(ctx.conn, "select * from recon.quarantined_files")

    replay = replay_quarantined(ctx, replay_id="R1")

    assert counts(replay, "carrier") == ZERO | {"files_still_quarantined": 1}
    assert replay.still_quarantined == [
        StillQuarantinedFile(
            "carrier",
            "carrier/2026-03-01/bad_header.csv",
            bad_sha,
            str(ctx.quarantine_dir / f"{bad_sha}.csv"),
            str(corrected),
            "wrong CSV header: missing required column(s) awb; a carrier batch needs event_id, event_ts, awb, "
            "carrier, status",
        )
    ]
    assert table(ctx.conn, "select * from recon.quarantined_files") == before
    assert table(ctx.conn, "select count(*) from carrier.events") == [(5,)]


def test_a_correction_the_source_already_sent_marks_the_file_replayed_without_ingesting(wrong_header):
    ctx, landing, bad_sha, corrected = wrong_header
    shutil.copy(corrected, landing / "carrier" / "2026-03-01" / "bad_header_fixed.csv")
    assert ingest(ctx.conn, landing, ctx.quarantine_dir, "carrier").rows_ingested == 4

    replay = replay_quarantined(ctx, replay_id="R1")

    # Its NDR row without ndr_reason, quarantined by that run, is checked (its header read from the corrected copy).
    assert counts(replay, "carrier") == ZERO | {"files_replayed": 1, "rows_still_invalid": 1}
    assert table(ctx.conn, "select replay_id, replayed_sha256 from recon.quarantined_files") == [
        ("R1", sha256(corrected.read_bytes()))
    ]
    assert table(ctx.conn, "select count(*) from carrier.events") == [(9,)]


def test_replay_on_a_copy_of_the_warehouse_leaves_the_original_byte_identical(wrong_header, tmp_path):
    ctx, _, _, _ = wrong_header
    ctx.conn.close()
    original = tmp_path / "warehouse.duckdb"
    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    scratch.parent.mkdir()
    shutil.copy(original, scratch)
    home = {p.name: sha256(p.read_bytes()) for p in ctx.quarantine_dir.iterdir()}
    before = sha256(original.read_bytes())

    with duckdb.connect(str(scratch)) as copy:
        replay = replay_quarantined(replace(ctx, conn=copy), replay_id="dry-run")
        assert copy.execute("select count(*) from carrier.events").fetchone() == (9,)

    assert replay.systems["carrier"].file_rows_ingested == 4
    assert sha256(original.read_bytes()) == before
    assert {p.name: sha256(p.read_bytes()) for p in ctx.quarantine_dir.iterdir()} == home
    with duckdb.connect(str(original), read_only=True) as live:
        assert live.execute("select count(*), count(replayed_at) from recon.quarantined_files").fetchone() == (1, 0)


# --- a file quarantined for its share of invalid rows, replayed once the limit is raised ---------------------------


def test_raising_the_invalid_share_limit_lets_the_kept_copy_in(tmp_path):
    landing = tmp_path / "landing"
    events = [oms_event(n) for n in range(1, 11)]
    for n in (2, 5, 9):  # 3 of 10 rows invalid: over the 20 % limit
        events[n - 1]["event_ts"] = "2026-03-01 10:00"
    path = write_batch(landing, "oms", "2026-03-01/b1", events)
    sha = sha256(path.read_bytes())
    conn = duckdb.connect()
    ctx = replay_context(conn, tmp_path)
    ingest(conn, landing, ctx.quarantine_dir)

    unchanged = replay_quarantined(ctx, replay_id="R1")

    assert counts(unchanged, "oms") == ZERO | {"files_still_quarantined": 1}
    assert unchanged.still_quarantined[0].reason == (
        "3 of 10 rows invalid (30%), over the 20% limit (ingest.max_invalid_share); first problems: "
        "line 2: event_ts '2026-03-01 10:00' has no UTC offset; add one (Z, +05:30, ...); "
        "line 5: event_ts '2026-03-01 10:00' has no UTC offset; add one (Z, +05:30, ...); "
        "line 9: event_ts '2026-03-01 10:00' has no UTC offset; add one (Z, +05:30, ...)"
    )
    assert table(conn, "select count(*) from oms.events") == [(0,)]

    replay = replay_quarantined(replace(ctx, max_invalid_share=0.5), replay_id="R2")

    assert counts(replay, "oms") == ZERO | {"files_replayed": 1, "file_rows_ingested": 7, "file_rows_quarantined": 3}
    assert table(conn, "select event_id from oms.events order by _line") == [
        (f"oms-{n}",) for n in (1, 3, 4, 6, 7, 8, 10)
    ]
    assert table(conn, "select line, field, replayed_at from recon.quarantined_rows order by line") == [
        (2, "event_ts", None),
        (5, "event_ts", None),
        (9, "event_ts", None),
    ]
    assert table(
        conn, "select sha256, rows_total, rows_ingested, rows_duplicate, rows_quarantined, status from recon.files"
    ) == [(sha, 10, 7, 0, 3, "ingested")]
    assert table(conn, "select replay_id, replayed_sha256 from recon.quarantined_files") == [("R2", sha)]

    again = replay_quarantined(replace(ctx, max_invalid_share=0.5), replay_id="R3")
    assert counts(again, "oms") == ZERO | {"rows_still_invalid": 3}
    assert table(conn, "select count(*) from oms.events") == [(7,)]
    assert ingest(conn, landing, ctx.quarantine_dir).files_duplicate == 1
    assert table(conn, "select count(*) from oms.events") == [(7,)]


# --- rows quarantined by a contract rule that is then relaxed -------------------------------------------------------


@pytest.fixture
def relaxed_contract(monkeypatch):
    """The contract after a change: `ticket_id` is required on `ticket_opened` only, no longer on
    `ticket_resolved` (the CRM closes tickets it did not open). The suites are rebuilt from it."""
    crm = tuple(
        Field("ticket_id", required=True, when_field="event_type", when_values=("ticket_opened",))
        if f.name == "ticket_id"
        else f
        for f in contract.SYSTEM_FIELDS["crm"]
    )
    contracts._context.cache_clear()
    monkeypatch.setitem(contract.SYSTEM_FIELDS, "crm", crm)
    yield
    monkeypatch.undo()
    contracts._context.cache_clear()


@pytest.fixture
def crm_quarantine(tmp_path):
    """Two CRM files ingested, each with rows quarantined (20 % of its rows: not quarantined whole): a JSONL one
    (15 rows) and a CSV one (10 rows)."""
    landing = tmp_path / "landing"
    jsonl = [crm_event(n) for n in range(1, 16)]
    jsonl[2] = crm_event(3, "ticket_resolved")  # line 3: no ticket_id
    jsonl[5] = crm_event(6, "ticket_opened")  # line 6: no ticket_id
    jsonl[8] = crm_event(4, "ticket_resolved", extra="kept")  # line 9: no ticket_id, and crm-4's event_id again
    jsonl_path = write_batch(landing, "crm", "2026-03-01/c1", jsonl)
    csv = [crm_event(n) for n in range(20, 30)]
    csv[3] = crm_event(23, "ticket_resolved", event_ts="2026-03-01T12:00:00")  # line 5: no offset (first problem)
    csv[4] = crm_event(24, "ticket_resolved")  # line 6: no ticket_id
    csv_path = write_batch(landing, "crm", "2026-03-01/c2", csv, "csv")
    conn = duckdb.connect()
    ctx = replay_context(conn, tmp_path)
    result = ingest(conn, landing, ctx.quarantine_dir, "crm")
    assert (result.rows_ingested, result.rows_quarantined) == (20, 5)
    yield ctx, landing, sha256(jsonl_path.read_bytes()), sha256(csv_path.read_bytes())
    conn.close()


def test_rows_that_pass_the_changed_contract_leave_quarantine_the_others_stay(crm_quarantine, relaxed_contract):
    ctx, landing, jsonl_sha, csv_sha = crm_quarantine
    conn = ctx.conn

    replay = replay_quarantined(ctx, replay_id="R1", landing=landing)

    assert counts(replay, "crm") == ZERO | {
        "rows_replayed": 3,
        "rows_ingested": 2,
        "rows_duplicate": 1,
        "rows_still_invalid": 2,
    }
    assert replay.still_invalid == [
        StillInvalidRow(
            "crm",
            "crm/2026-03-01/c1.jsonl",
            jsonl_sha,
            6,
            "ticket_id",
            "missing field 'ticket_id', required when event_type is ticket_opened",
        ),
        StillInvalidRow(
            "crm",
            "crm/2026-03-01/c2.csv",
            csv_sha,
            5,
            "event_ts",
            "event_ts '2026-03-01T12:00:00' has no UTC offset; add one (Z, +05:30, ...)",
        ),
    ]
    assert table(
        conn, "select file_path, line, replayed_at, replay_id from recon.quarantined_rows order by file_path, line"
    ) == [
        ("crm/2026-03-01/c1.jsonl", 3, NOW, "R1"),
        ("crm/2026-03-01/c1.jsonl", 6, None, None),
        ("crm/2026-03-01/c1.jsonl", 9, NOW, "R1"),
        ("crm/2026-03-01/c2.csv", 5, None, None),
        ("crm/2026-03-01/c2.csv", 6, NOW, "R1"),
    ]
    assert table(
        conn,
        "select event_id, event_type, ticket_id, _file_path, _line, _run_id from crm.events "
        "where _run_id = 'replay-run' order by event_id",
    ) == [
        ("crm-24", "ticket_resolved", None, "crm/2026-03-01/c2.csv", 6, "replay-run"),
        ("crm-3", "ticket_resolved", None, "crm/2026-03-01/c1.jsonl", 3, "replay-run"),
    ]
    # crm-4 was ingested from line 4; the replayed line 9 is a duplicate with other content, kept whole.
    assert table(conn, "select event_id, line, same_content, raw_text from recon.duplicate_events") == [
        (
            "crm-4",
            9,
            False,
            '{"event_id": "crm-4", "event_ts": "2026-03-01T04:00:00+05:30", "order_ref": "#0000004", '
            '"event_type": "ticket_resolved", "extra": "kept"}',
        )
    ]

    again = replay_quarantined(ctx, replay_id="R2", landing=landing)
    assert counts(again, "crm") == ZERO | {"rows_still_invalid": 2}
    assert table(conn, "select count(*), count(distinct event_id) from crm.events") == [(22, 22)]


def test_rows_replay_limited_to_one_file(crm_quarantine, relaxed_contract):
    ctx, landing, _, csv_sha = crm_quarantine

    replay = replay_quarantined(ctx, replay_id="R1", systems=["crm"], file_sha256s=[csv_sha], landing=landing)

    assert list(replay.systems) == ["crm"]
    assert counts(replay, "crm") == ZERO | {"rows_replayed": 1, "rows_ingested": 1, "rows_still_invalid": 1}
    assert table(ctx.conn, "select line from recon.quarantined_rows where replay_id = 'R1'") == [(6,)]


def test_csv_rows_need_the_file_for_their_header(crm_quarantine, relaxed_contract, tmp_path):
    ctx, _, _, csv_sha = crm_quarantine
    before = table(ctx.conn, "select * from recon.quarantined_rows order by file_path, line")

    with pytest.raises(ReconError) as refused:
        replay_quarantined(ctx, replay_id="R1")

    assert str(refused.value) == (
        f"crm/2026-03-01/c2.csv (sha256 {csv_sha}): its 2 quarantined CSV row(s) need the file's header row, and no "
        f"file with these bytes was found (no landing zone was given; {tmp_path / 'home' / 'quarantine'} were "
        "searched); pass the landing zone that holds the file, put the file back, or leave it out of the replay "
        "(file_sha256s)"
    )
    assert table(ctx.conn, "select * from recon.quarantined_rows order by file_path, line") == before
    assert table(ctx.conn, "select count(*) from crm.events") == [(20,)]


def test_under_the_unchanged_contract_nothing_moves(crm_quarantine):
    ctx, landing, _, _ = crm_quarantine

    replay = replay_quarantined(ctx, replay_id="R1", landing=landing)

    assert counts(replay, "crm") == ZERO | {"rows_still_invalid": 5}
    assert [(r.line, r.field) for r in replay.still_invalid] == [
        (3, "ticket_id"),
        (6, "ticket_id"),
        (9, "ticket_id"),
        (5, "event_ts"),
        (6, "ticket_id"),
    ]
    assert table(ctx.conn, "select count(*) from recon.quarantined_rows where replayed_at is not null") == [(0,)]


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (
            {"systems": ["oms", "shop"]},
            "unknown system(s) shop: systems are oms, wms, carrier, crm, payments, erp, integration_log",
        ),
        (
            {"file_sha256s": ["f00d"]},
            "file sha256 f00d: no row or file of it was ever quarantined; the column file_sha256 of "
            "recon.quarantined_rows and recon.quarantined_files names the files that were",
        ),
    ],
)
def test_a_scope_naming_nothing_quarantined_is_refused(crm_quarantine, scope, message):
    ctx, *_ = crm_quarantine
    with pytest.raises(ReconError) as refused:
        replay_quarantined(ctx, replay_id="R1", **scope)
    assert str(refused.value) == message


def test_counts_of_an_empty_quarantine_are_zero(tmp_path):
    replay = replay_quarantined(replay_context(duckdb.connect(), tmp_path), replay_id="R1")
    assert replay.systems == {s: SystemReplay(s) for s in contract.SYSTEMS}
