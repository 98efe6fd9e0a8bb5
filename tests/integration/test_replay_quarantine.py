"""Acceptance for a quarantine replay: a file quarantined whole for a wrong header, corrected beside its kept copy,
dry-run (nothing changes), executed (each row once, its schema-drift exception resolved), executed again (no-op)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.replay_jobs import replay_jobs
from dagster_project.defs.resources import ReconResource
from dagster_project.errors import ReconError
from dagster_project.ingestion.replay import corrected_path
from dagster_project.pipeline import run_pipeline
from dagster_project.replay import ReplayRequest, dry_run, execute
from dagster_project.store import list_exceptions, open_store
from tests.integration.test_replay_remap import checksums
from tests.landing_builder import crm_placed, encode, oms_event, write_batch

AS_OF = datetime(2026, 3, 2, tzinfo=UTC)


def carrier_events(with_awb: bool) -> list[dict]:
    events = []
    for n in range(1, 4):
        event = {"event_id": f"car-{n}", "event_ts": f"2026-03-01T1{n}:00:00Z", "carrier": "bluedart"}
        event |= {"awb": f"AWB{n}"} if with_awb else {}
        events.append(event | {"status": "PICKUP"})
    return events


def carrier_rows(home) -> int:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.execute("select count(*) from carrier.events").fetchone()[0]


def test_a_corrected_file_is_replayed_once(home, landing):
    home.config_file.write_text("replay:\n  operators: [asha]\n")
    write_batch(landing, "oms", "2026-03-01/oms_1", [oms_event(1, "CREATED", order="ORD-1")])
    write_batch(landing, "carrier", "2026-03-01/bad_header", carrier_events(with_awb=False), "csv")
    report = run_pipeline(home, landing, AS_OF)
    assert report.exceptions["file_exceptions_opened"] == 1
    assert carrier_rows(home) == 0
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        (kept,) = conn.execute("select stored_path from recon.quarantined_files").fetchone()

    # Not corrected yet: the dry run changes nothing, and an execute is refused for an empty scope.
    plan = dry_run(home, ReplayRequest("quarantine"))
    assert plan.empty
    with pytest.raises(ReconError, match="nothing to replay"):
        execute(home, ReplayRequest("quarantine"), operator="asha", reason="retry")

    corrected_path(Path(kept)).write_bytes(encode(carrier_events(with_awb=True), "csv"))
    before = checksums(home)
    # The dry run as the Launchpad launches it: the job with its default config.
    job = next(job for job in replay_jobs if job.name == "replay_quarantine_job")
    result = job.execute_in_process(resources={"recon": ReconResource(home=str(home.root))})
    summary = result.output_for_node("replay_quarantine")
    assert (summary["rows_added"]["carrier"], summary["scope"]) == (3, {"kind": "quarantine"})
    assert checksums(home) == before

    outcome = execute(home, ReplayRequest("quarantine"), operator="asha", reason="exporter fixed its header")
    assert (outcome.status, outcome.no_op, outcome.exceptions["file_exceptions_resolved"]) == ("verified", False, 1)
    assert carrier_rows(home) == 3
    (drift,) = [e for e in list_exceptions(open_store(home.store_url)) if e["rule"] == "schema_drift"]
    assert drift["state"] == "resolved"

    again = execute(home, ReplayRequest("quarantine"), operator="asha", reason="exporter fixed its header")
    assert (again.no_op, again.replay_id) == (True, outcome.replay_id)
    assert carrier_rows(home) == 3
    # A normal run afterwards finds nothing new either.
    assert run_pipeline(home, landing, AS_OF).nothing_new and carrier_rows(home) == 3


def test_an_orders_replay_resyncs_only_those_orders(home, landing):
    home.config_file.write_text("replay:\n  operators: [asha]\n")
    created = [oms_event(n, "CREATED", order=f"ORD-{n}", event_ts="2026-03-01T08:00:00Z") for n in (1, 2)]
    write_batch(landing, "oms", "2026-03-01/oms_1", created)
    run_pipeline(home, landing, AS_OF)
    # The CRM re-sends both orders in one file; only ORD-1 is resynced now.
    write_batch(landing, "crm", "2026-03-01/crm_resend", [crm_placed(1, "ORD-1"), crm_placed(2, "ORD-2")])

    with pytest.raises(ReconError, match="nothing to replay: no event of ORD-9"):
        dry_run(home, ReplayRequest("orders", orders=("ORD-9",)), landing=landing)
    plan = dry_run(home, ReplayRequest("orders", orders=("#1",)), landing=landing)
    assert plan.request.orders == ("ORD-1",)
    assert plan.diff.rows_added()["crm"] == 1
    assert [(row["order_id"], row["rule"]) for row in plan.diff.resolve] == [("ORD-1", "missing_in_system")]

    outcome = execute(
        home, ReplayRequest("orders", orders=("ORD-1",)), operator="asha", reason="CRM resent ORD-1", landing=landing
    )
    assert outcome.status == "verified"
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        assert conn.execute("select order_ref from crm.events").fetchall() == [("ORD-1",)]
        open_rules = conn.execute(
            "select order_id from fct_divergences where rule = 'missing_in_system' and status = 'open'"
        ).fetchall()
    assert open_rules == [("ORD-2",)]
    # The next normal run ingests the rest of the file (ORD-2), ORD-1's event once.
    run_pipeline(home, landing, AS_OF)
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        assert sorted(conn.execute("select order_ref from crm.events").fetchall()) == [("ORD-1",), ("ORD-2",)]
