"""Acceptance for replays on the simulator's data: a carrier's unmapped delivered code (DELIVERED_OK) makes
mapping-error divergences; a remap dry run lists exactly those orders as resolving and changes nothing; the execute
resolves them, auto-resolves their exceptions and edits their Slack messages; a second execute changes nothing."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.replay import ReplayRequest, dry_run, execute
from dagster_project.simulator import simulate
from dagster_project.store import audit_trail, list_exceptions, open_store, verify_audit
from dagster_project.store.models import SlackOutbox

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return simulate(1500, 7, tmp_path_factory.mktemp("sim") / "sim", as_of=AS_OF)


def checksums(home: Home) -> dict[str, str]:
    """Every table of the warehouse, hashed row by row in a fixed order, and the store's tables."""
    sums = {}
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        tables = conn.execute("select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()
        for schema, table in tables:
            rows = conn.execute(f'select * from "{schema}"."{table}"').fetchall()
            sums[f"{schema}.{table}"] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    store = open_store(home.store_url)
    with store.engine.connect() as conn:
        for table in ("exceptions", "exception_divergences", "audit_events", "slack_outbox", "replays"):
            rows = conn.exec_driver_sql(f"select * from {table} order by 1").fetchall()
            sums[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return sums


def delivered_ok_orders(home: Home) -> set[str]:
    """Orders whose carrier reported DELIVERED_OK (not in the shipped status map) and that have an open divergence."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        rows = conn.execute(
            """
            select distinct d.order_id
            from main.fct_divergences d
            join main.int_order_awbs a on a.order_id = d.order_id
            join carrier.events c on c.awb = a.carrier_awb and c.status = 'DELIVERED_OK'
            where d.status = 'open'
            """
        ).fetchall()
    return {row[0] for row in rows}


def test_remap_dry_run_then_execute_once(simulated, home, slack, capsys):
    home.config_file.write_text("replay:\n  operators: [asha]\n")
    run_pipeline(home, simulated.landing, AS_OF)
    affected = delivered_ok_orders(home)
    assert len(affected) >= 2

    # Nothing to remap yet.
    with pytest.raises(ReconError, match="nothing to remap"):
        dry_run(home, ReplayRequest("remap"))

    home.config_file.write_text("replay:\n  operators: [asha]\nstatus_map:\n  carrier:\n    DELIVERED_OK: delivered\n")
    before = checksums(home)
    plan = dry_run(home, ReplayRequest("remap"))
    assert checksums(home) == before
    assert plan.request.statuses == (("carrier", "DELIVERED_OK", None, "delivered"),)
    assert {row["order_id"] for row in plan.diff.resolve} == affected
    # Only those orders move: where the carrier's delivery was hidden behind the unmapped code, mapping it can also
    # reveal what it hid (a delivered order with no revenue yet), on the same orders.
    assert set(plan.diff.orders()) == affected
    assert set(plan.diff.rows_added().values()) == {0}
    resolving_exceptions = plan.exceptions["auto_resolved"]
    assert resolving_exceptions >= 1

    # Refusals: no reason; an operator not allowed.
    with pytest.raises(ReconError, match="--reason"):
        execute(home, ReplayRequest("remap"), operator="asha", reason=" ")
    with pytest.raises(ReconError, match="ravi may not execute replays"):
        execute(home, ReplayRequest("remap"), operator="ravi", reason="carrier API change")
    assert checksums(home) == before

    edits_before = sum(m.edits for m in slack.messages)
    outcome = execute(home, ReplayRequest("remap"), operator="asha", reason="carrier API change: DELIVERED_OK")
    assert (outcome.status, outcome.no_op) == ("verified", False)
    assert outcome.exceptions["auto_resolved"] == resolving_exceptions
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        still_open = conn.execute(
            "select count(*) from main.fct_divergences where status = 'open' and order_id in "
            f"({', '.join('?' for _ in affected)}) and classification = 'mapping_error'",
            sorted(affected),
        ).fetchone()[0]
    assert still_open == 0
    store = open_store(home.store_url)
    assert sum(1 for e in list_exceptions(store) if e["state"] == "auto_resolved") == resolving_exceptions
    assert sum(m.edits for m in slack.messages) - edits_before == resolving_exceptions
    actions = Counter(event["action"] for event in audit_trail(store))
    assert (actions["replay_started"], actions["replay_verified"]) == (1, 1)
    assert verify_audit(store) == []
    with store.session() as session:
        assert session.query(SlackOutbox).filter(SlackOutbox.status != "sent").count() == 0

    # Again: nothing to do, nothing changed.
    after = checksums(home)
    assert (
        main(["replay", "remap", "--home", str(home.root), "--execute", "--reason", "again", "--operator", "asha"]) == 0
    )
    assert (
        capsys.readouterr().out.strip() == f"Already executed as replay {outcome.replay_id} (verified): nothing to do."
    )
    assert checksums(home) == after
