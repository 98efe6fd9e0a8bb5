"""The blocking contract check of each ingest asset: its verdict at the exact edge of `ingest.max_invalid_share`, on
files all quarantined whole, on a run with nothing new, and in a real run, where a failure stops the marts and the
exception sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.contract import SYSTEMS
from dagster_project.dagster_instance import open_instance
from dagster_project.defs.ingest import CONTRACT_CHECK, contract_check, run_quarantined_files
from dagster_project.ingestion.landing import scan_landing
from dagster_project.ingestion.load import IngestContext, ingest_system
from dagster_project.pipeline import run_pipeline
from tests.landing_builder import oms_event, write_batch

AS_OF = datetime(2026, 3, 2, tzinfo=UTC)
LIMIT = "the 20% limit (ingest.max_invalid_share in recon.yaml)"
TODO = (
    "corrected files go beside their kept copies in the home's quarantine folder: docs/replays.md), then run "
    "`recon replay quarantine --system oms` to see what comes back, and again with `--execute --reason TEXT`."
)


def no_offset(n: int) -> dict:
    return oms_event(n, event_ts="2026-03-01T10:00:00")


def check(landing: Path, tmp_path: Path, system: str = "oms", runs: int = 1) -> dg.AssetCheckResult:
    """Ingest `landing` (`runs` times, the last as run-<runs>) as the ingest asset does; the check of the last run."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        for run in range(1, runs + 1):
            ctx = IngestContext(conn, tmp_path / "quarantine", 0.2, f"run-{run}", datetime(2026, 3, 2))
            result = ingest_system(ctx, system, scan_landing(landing, systems=(system,)).files[system])
        return contract_check(result, ctx.max_invalid_share, run_quarantined_files(conn, system, ctx.run_id))


def values(result: dg.AssetCheckResult, *names: str) -> tuple:
    return tuple(result.metadata[name].value for name in names)


@pytest.mark.parametrize(("good_rows", "passed"), [(8, True), (7, False)])
def test_a_run_passes_at_the_limit_and_fails_just_over_it(landing, tmp_path, good_rows, passed):
    write_batch(landing, "oms", "good", [oms_event(n) for n in range(good_rows)])
    # One of two rows invalid (50 %): the file is quarantined whole, both its rows with it.
    write_batch(landing, "oms", "half_bad", [oms_event(100), no_offset(101)])
    result = check(landing, tmp_path)
    rows = good_rows + 2
    assert (result.passed, result.check_name, result.severity) == (passed, CONTRACT_CHECK, dg.AssetCheckSeverity.ERROR)
    assert values(result, "system", "rows_in_files", "rows_quarantined", "invalid_share") == (
        "oms",
        rows,
        2,
        round(2 / rows, 6),
    )
    whole = "1 file(s) quarantined whole in recon.quarantined_files (oms/half_bad.jsonl)"
    if passed:
        assert (
            result.description
            == f"oms: 2 of 10 new rows quarantined (20.0%), within {LIMIT}. Among them the rows of {whole}."
        )
    else:
        assert result.description == (
            f"oms: 2 of the 9 rows in this run's new files were quarantined (22.2%), over {LIMIT}, so nothing "
            f"downstream (the marts, the exception sync) runs in this run. Quarantined: 2 in {whole}. Have the oms "
            f"source fix the data ({TODO}"
        )


def test_rows_quarantined_one_by_one_count_with_whole_files(landing, tmp_path):
    # 1 of 5 rows (20 %, at the file limit): ingested, the row quarantined alone. 1 of 2: the file goes whole.
    write_batch(landing, "oms", "a", [oms_event(1), oms_event(2), no_offset(3), oms_event(4), oms_event(5)])
    write_batch(landing, "oms", "b", [oms_event(6), no_offset(7)])
    result = check(landing, tmp_path)
    assert not result.passed
    assert values(result, "rows_in_files", "rows_quarantined", "rows_quarantined_one_by_one") == (7, 3, 1)
    assert values(result, "rows_in_files_quarantined_whole", "files_ingested", "files_quarantined") == (2, 1, 1)
    assert result.metadata["quarantined_by_field"].value == {"event_ts": 1}
    assert result.description.startswith(
        "oms: 3 of the 7 rows in this run's new files were quarantined (42.9%), over the 20% limit"
    )
    assert "Quarantined: 1 one by one in recon.quarantined_rows (event_ts 1); 2 in 1 file(s) quarantined whole" in (
        result.description
    )


CARRIER_HEADER = "event_id,event_ts,awb,carrier,status\r\n"


def test_a_run_whose_files_are_all_quarantined_whole_fails(landing, tmp_path):
    (landing / "carrier").mkdir()
    (landing / "carrier" / "a_legacy.csv").write_bytes(
        (
            CARRIER_HEADER + "c1,2026-03-01T10:00:00Z,A1,bluedart,PICKUP\r\n"
            "c2,2026-03-01T11:00:00Z,A1,Nürnberg,IN_TRANSIT\r\n"
        ).encode("latin-1")
    )
    event = {"event_ts": "2026-03-01T10:00:00Z", "awb": "A2", "carrier": "bluedart", "status": "PICKUP"}
    write_batch(landing, "carrier", "b", [{"event_id": "c3"} | event, {"event_id": "c4"}, {"event_id": "c5"}])
    result = check(landing, tmp_path, "carrier")
    assert not result.passed
    assert values(result, "rows_in_files", "rows_quarantined", "files_ingested", "files_quarantined") == (5, 5, 0, 2)
    assert [f["file_path"] for f in result.metadata["quarantined_files"].value] == [
        "carrier/a_legacy.csv",
        "carrier/b.jsonl",
    ]
    assert result.description.startswith(
        "carrier: 5 of the 5 rows in this run's new files were quarantined (100.0%), over the 20% limit "
        "(ingest.max_invalid_share in recon.yaml), so nothing downstream (the marts, the exception sync) runs in "
        "this run. Quarantined: 5 in 2 file(s) quarantined whole in recon.quarantined_files "
        "(carrier/a_legacy.csv, carrier/b.jsonl). Have the carrier source fix the data"
    )


def test_files_without_a_countable_row_pass_and_are_named(landing, tmp_path):
    """The documented edge (docs/checks.md): a wrong header holds no row known to be bad; its schema-drift
    exception must still open in this run's sync, which a failed check would stop."""
    (landing / "carrier").mkdir()
    (landing / "carrier" / "no_awb.csv").write_text(
        "event_id,event_ts,carrier,status\r\nc1,2026-03-01T10:00:00Z,x,PICKUP\r\n"
    )
    result = check(landing, tmp_path, "carrier")
    assert result.passed
    assert values(result, "rows_in_files", "files_quarantined") == (0, 1)
    assert result.description == (
        "carrier: no new rows in this run. No row could be counted in the 1 file(s) quarantined whole in "
        "recon.quarantined_files (carrier/no_awb.csv); each opens a schema-drift exception."
    )


def test_no_new_file_passes(landing, tmp_path):
    write_batch(landing, "oms", "b1", [oms_event(1), no_offset(2)])  # quarantined whole in the first run
    result = check(landing, tmp_path, runs=2)
    assert result.passed
    assert values(result, "rows_in_files", "rows_quarantined", "files_quarantined") == (0, 0, 0)
    assert result.metadata["quarantined_files"].value == []
    assert result.description == "oms: no new rows in this run."


def crm_over_share(landing: Path) -> None:
    """A CRM batch with 2 of its 3 rows missing their status: quarantined whole, the run's only CRM file."""
    rows = [
        {
            "event_id": f"crm-{n}",
            "event_ts": "2026-03-01T09:00:00Z",
            "order_ref": "ORD-1",
            "event_type": "status_update",
        }
        for n in range(1, 4)
    ]
    rows[0]["status"] = "Order Placed"
    write_batch(landing, "crm", "2026-03-01/crm_1", rows)


def test_a_failed_check_stops_the_marts_and_the_exception_sync(home, landing, capsys):
    write_batch(landing, "oms", "2026-03-01/oms_1", [oms_event(1, "CREATED", order="ORD-1")])
    crm_over_share(landing)
    assert main(["run", "--home", str(home.root), "--landing", str(landing), "--as-of", AS_OF.isoformat()]) == 2
    assert capsys.readouterr().err.startswith(
        "recon: error: crm: 3 of the 3 rows in this run's new files were quarantined (100.0%), over the 20% limit "
        "(ingest.max_invalid_share in recon.yaml), so nothing downstream (the marts, the exception sync) runs in "
        "this run. Quarantined: 3 in 1 file(s) quarantined whole in recon.quarantined_files "
        "(crm/2026-03-01/crm_1.jsonl). Have the crm source fix the data"
    )

    instance = open_instance(home)
    (run,) = instance.get_runs()
    events = [record.dagster_event for record in instance.all_logs(run.run_id) if record.dagster_event]
    started = {e.step_key for e in events if e.event_type == dg.DagsterEventType.STEP_START}
    assert started == {f"{system}__events" for system in SYSTEMS}  # no dbt step, no check step, no exceptions
    materialized = {
        e.asset_key.to_user_string() for e in events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    assert materialized == {f"{system}/events" for system in SYSTEMS}
    checks = {
        e.event_specific_data.asset_key.to_user_string(): e.event_specific_data
        for e in events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert set(checks) == {f"{system}/events" for system in SYSTEMS}
    assert {key for key, c in checks.items() if not c.passed} == {"crm/events"}
    crm = checks["crm/events"]
    assert (crm.check_name, crm.blocking, crm.severity) == (CONTRACT_CHECK, True, dg.AssetCheckSeverity.ERROR)
    assert {name: crm.metadata[name].value for name in ("system", "rows_in_files", "rows_quarantined")} == {
        "system": "crm",
        "rows_in_files": 3,
        "rows_quarantined": 3,
    }
    assert checks["oms/events"].description == f"oms: 0 of 1 new rows quarantined (0.0%), within {LIMIT}."


def test_an_ingest_only_run_reports_what_it_ingested_despite_a_failed_check(home, landing):
    """Nothing follows ingestion for a failed check to stop: the run's ingestion is complete and reported."""
    crm_over_share(landing)
    report = run_pipeline(home, landing, marts=False)
    assert (report.systems["crm"]["files_quarantined"], report.systems["crm"]["rows_quarantined"]) == (1, 3)
