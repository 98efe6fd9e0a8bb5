"""The Great Expectations suites on fct_divergences as blocking asset checks: they pass on a real pipeline run, and on
a copy of its warehouse corrupted on purpose they fail with the exact rows at fault and stop the exception sync."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_project.dagster_instance import open_instance
from dagster_project.defs.exceptions import EXCEPTIONS_KEY, exceptions
from dagster_project.defs.ingest import ingest_assets
from dagster_project.defs.quality import BUSINESS_RULES_CHECK, DIVERGENCES, REFERENTIAL_CHECK, mart_checks
from dagster_project.defs.resources import ReconResource
from dagster_project.defs.transform import build_dbt_assets, dbt_resource
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate
from expectations.marts import validate_business_rules, validate_referential

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
TEAMS = ("logistics_ops", "finance_ops", "cx_ops", "integrations")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("marts")
    sim = simulate(300, 1, root / "sim", as_of=AS_OF)
    home = Home(root / "home").ensure()
    return home, run_pipeline(home, sim.landing, AS_OF)


def evaluations(instance: dg.DagsterInstance, run_id: str) -> dict[str, dg.AssetCheckEvaluation]:
    """The run's evaluations of the GX checks on fct_divergences, by check name."""
    found = {}
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if evaluation.asset_key == DIVERGENCES and evaluation.check_name.startswith("gx_"):
            found[evaluation.check_name] = evaluation
    return found


def test_the_suites_pass_on_a_real_run_and_the_sync_follows(built):
    home, report = built
    checks = evaluations(open_instance(home), report.run_id)
    assert set(checks) == {BUSINESS_RULES_CHECK, REFERENTIAL_CHECK}
    total = report.divergences["total"]
    for name, expectations in ((BUSINESS_RULES_CHECK, 16), (REFERENTIAL_CHECK, 4)):
        check = checks[name]
        assert (check.passed, check.blocking, check.severity) == (True, True, dg.AssetCheckSeverity.ERROR)
        assert check.metadata["divergences"].value == total
        assert (check.metadata["expectations"].value, check.metadata["failed_expectations"].value) == (expectations, 0)
    assert checks[REFERENTIAL_CHECK].description == (
        f"fct_divergences: all 4 expectations of fct_divergences_referential hold on its {total:,} divergences."
    )
    assert report.exceptions is not None  # the sync ran after the checks passed


class Picker:
    """Distinct rows of fct_divergences (in divergence_id order) to corrupt, each taken once."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.rows = conn.execute(
            "select divergence_id, status, queue, rule from main.fct_divergences order by divergence_id"
        ).fetchall()
        self.taken: set[str] = set()

    def take(self, n: int = 1, status: str | None = None, queue: str | None = None, orphan: bool = False) -> list:
        chosen = [
            row[0]
            for row in self.rows
            if row[0] not in self.taken
            and status in (None, row[1])
            and queue in (None, row[2])
            and (row[3] == "orphan_record") == orphan
        ][:n]
        assert len(chosen) == n, "the simulated zone has too few divergences of this kind"
        self.taken.update(chosen)
        return chosen


def corrupt(warehouse) -> dict[str, list[str]]:
    """Break each expectation on its own rows; returns the rows by fault."""
    with duckdb.connect(str(warehouse)) as conn:
        pick = Picker(conn)
        faults = {
            "closed": pick.take(2),
            "data_platform": pick.take(1),
            "resolved_while_open": pick.take(1, status="open"),
            "resolved_without_time": pick.take(1, status="resolved"),
            "negative": pick.take(3),
            "no_sla": pick.take(1, status="open", queue="action"),
            "copy_id": pick.take(2),  # the first gets the second's id
            "no_cluster": pick.take(2),
            "no_order": pick.take(1),
            "orphan_key": pick.take(1, orphan=True),
        }

        def update(assignment: str, ids: list[str]) -> None:
            conn.execute(f"update main.fct_divergences set {assignment} where divergence_id in ?", [ids])

        update("status = 'closed'", faults["closed"])
        update("owner_team = 'data_platform'", faults["data_platform"])
        update("resolved_at = timestamp '2026-02-20 10:00:00'", faults["resolved_while_open"])
        update("resolved_at = null", faults["resolved_without_time"])
        update("exposure_amount = -5", faults["negative"])
        update("sla_due_at = null", faults["no_sla"])
        update(f"divergence_id = '{faults['copy_id'][1]}'", faults["copy_id"][:1])
        update("cluster_id = 'no-such-cluster'", faults["no_cluster"])
        update("order_id = 'ORD-9999999'", faults["no_order"])
        # An orphan's order_id is its own key, in no OMS order: the reference does not apply to it.
        update("order_id = 'AWB-NOT-AN-ORDER'", faults["orphan_key"])
    return faults


def test_a_corrupted_mart_fails_with_exact_counts_and_stops_the_sync(built, tmp_path):
    home, _ = built
    broken = Home(tmp_path / "broken").ensure()
    shutil.copy(home.warehouse, broken.warehouse)
    faults = corrupt(broken.warehouse)

    # A real run over the corrupted mart: its checks, and the sync downstream of them; dbt does not rebuild it.
    result = dg.materialize(
        [*ingest_assets, build_dbt_assets(), exceptions, *mart_checks],
        selection=dg.AssetSelection.checks(*mart_checks) | dg.AssetSelection.assets(EXCEPTIONS_KEY),
        resources={"recon": ReconResource(home=str(broken.root), as_of=AS_OF.isoformat()), "dbt": dbt_resource()},
        raise_on_error=False,
    )
    assert not result.success
    assert not result.asset_materializations_for_node("exceptions")
    started = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert "exceptions" not in started

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    business, referential = checks[BUSINESS_RULES_CHECK], checks[REFERENTIAL_CHECK]
    assert (business.passed, business.blocking, referential.passed, referential.blocking) == (False, True, False, True)
    assert business.metadata["failures"].value == [
        failure("divergence_id", "is unique", 2, faults["copy_id"][1:]),
        failure("status", "is one of open, resolved", 2, faults["closed"], "status 'closed'"),
        failure(
            "owner_team",
            "is one of cx_ops, finance_ops, integrations, logistics_ops",
            1,
            faults["data_platform"],
            "owner_team 'data_platform'",
        ),
        failure(
            "resolved_at",
            "is empty while status is open",
            1,
            faults["resolved_while_open"],
            "resolved_at 2026-02-20 10:00:00",
        ),
        failure("resolved_at", "is set once status is resolved", 1, faults["resolved_without_time"]),
        failure("exposure_amount", "is not negative", 3, faults["negative"], "exposure_amount -5.0"),
        failure("sla_due_at", "is set on open divergences in the action queue", 1, faults["no_sla"]),
    ]
    assert business.description.startswith(
        "fct_divergences breaks 7 of the 16 expectations of fct_divergences_business_rules: divergence_id is "
        f"unique: 2 rows do not (e.g. {faults['copy_id'][1]}); status is one of open, resolved: 2 rows do not"
    )
    assert business.description.endswith("then run `recon run` again: it rebuilds the marts and syncs.")
    assert referential.metadata["failures"].value == [
        failure(
            "cluster_id",
            "is a cluster_id of fct_divergence_clusters",
            2,
            faults["no_cluster"],
            "cluster_id 'no-such-cluster'",
        ),
        failure(
            "order_id",
            "is an order_id of fct_order_state (every rule but orphan_record)",
            1,
            faults["no_order"],
            "order_id 'ORD-9999999'",
        ),
    ]
    (no_order,) = faults["no_order"]
    assert referential.description.startswith(
        "fct_divergences breaks 2 of the 4 expectations of fct_divergences_referential: cluster_id is a cluster_id "
        f"of fct_divergence_clusters: 2 rows do not (e.g. {faults['no_cluster'][0]} (cluster_id 'no-such-cluster'), "
        f"{faults['no_cluster'][1]} (cluster_id 'no-such-cluster')); order_id is an order_id of fct_order_state "
        f"(every rule but orphan_record): 1 row does not (e.g. {no_order} (order_id 'ORD-9999999')). The exception "
        "sync (`exceptions`) did not run in this run"
    )


def failure(column: str, rule: str, bad_rows: int, ids: list[str], value: str | None = None) -> dict:
    examples = [f"{i} ({value})" if value else i for i in ids]
    return {"column": column, "rule": rule, "bad_rows": bad_rows, "examples": examples}


def test_missing_values_are_faults_of_their_own():
    """GX's set checks skip nulls: a missing status, or a missing divergence id, is reported by its not-null check
    (a row without an id is named by its order and rule)."""
    frame = pd.DataFrame(
        {
            "divergence_id": ["d1", None],
            "order_id": ["ORD-1", "ORD-2"],
            "rule": ["amount_mismatch", "orphan_record"],
            "classification": ["unknown", "unknown"],
            "queue": ["informational", "informational"],
            "status": [None, "open"],
            "resolved_at": [None, None],
            "severity": ["low", "low"],
            "owner_team": ["finance_ops", "integrations"],
            "exposure_amount": [None, 10.0],
            "sla_due_at": [None, None],
            "cluster_id": ["c1", "c1"],
        }
    )
    outcome = validate_business_rules(frame, TEAMS)
    assert [f.as_dict() for f in outcome.failures] == [
        {"column": "divergence_id", "rule": "is set", "bad_rows": 1, "examples": ["order ORD-2 orphan_record"]},
        {"column": "status", "rule": "is set", "bad_rows": 1, "examples": ["d1"]},
    ]
    referential = validate_referential(frame, ["c1"], ["ORD-1"])
    assert (referential.passed, referential.rows, referential.expectations) == (True, 2, 4)
