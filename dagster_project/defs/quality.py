"""The Great Expectations suites of the divergence mart as Dagster asset checks (the suites: expectations/marts.py).

Both checks are on `fct_divergences` and blocking: `exceptions`, the sync that posts to Slack, reads that mart, so a
failed check stops it in the same run and divergences that break a business rule, or point at a cluster or an order
the other marts do not have, never reach Slack. Each check is a step of its own after the dbt step, so it reads the
marts once dbt has written them; it reads the warehouse read-only and takes the warehouse pool, as every reader of
the DuckDB file does (a reader cannot open it while another process writes it).
"""

import dagster as dg
import duckdb
import pandas as pd

from dagster_project.config import DIVERGENCE_TEAMS
from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.marts import read_warehouse
from expectations.marts import (
    BUSINESS_COLUMNS,
    REFERENTIAL_COLUMNS,
    SuiteOutcome,
    validate_business_rules,
    validate_referential,
)

DIVERGENCES = dg.AssetKey(["fct_divergences"])
CLUSTERS = dg.AssetKey(["fct_divergence_clusters"])
ORDER_STATE = dg.AssetKey(["fct_order_state"])
BUSINESS_RULES_CHECK = "gx_business_rules"
REFERENTIAL_CHECK = "gx_referential"

BUSINESS_RULES_TODO = (
    "The exception sync (`exceptions`) did not run in this run, so none of these divergences reached Slack. Look "
    "at the rows in fct_divergences (`recon divergences --format json`), fix the dbt model under "
    "dbt_project/models/ that produced them (or the seed or recon.yaml value it read), then run `recon run` again: "
    "it rebuilds the marts and syncs."
)
REFERENTIAL_TODO = (
    "The exception sync (`exceptions`) did not run in this run, so none of these divergences reached Slack. The three "
    "marts must come from one dbt build: rebuild them together (`recon run`, or fct_divergences, "
    "fct_divergence_clusters and fct_order_state in one run in the Dagster UI); if the rows stay, fix the dbt model "
    "that produced them."
)


def _frame(conn: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> pd.DataFrame:
    """fct_divergences (DuckDB → Arrow → pandas) in divergence_id order, so the example rows are stable."""
    selected = ", ".join("exposure_amount::double as exposure_amount" if c == "exposure_amount" else c for c in columns)
    sql = f"select {selected} from main.fct_divergences order by divergence_id, order_id, rule"
    return conn.execute(sql).to_arrow_table().to_pandas()


def check_result(outcome: SuiteOutcome, what_to_do: str) -> dg.AssetCheckResult:
    """The check's verdict: each failed expectation with its column, its count of bad rows and example rows."""
    metadata = {
        "suite": outcome.suite,
        "divergences": outcome.rows,
        "expectations": outcome.expectations,
        "failed_expectations": len(outcome.failures),
        "failures": dg.MetadataValue.json([failure.as_dict() for failure in outcome.failures]),
    }
    if outcome.passed:
        description = (
            f"fct_divergences: all {outcome.expectations} expectations of {outcome.suite} hold on its "
            f"{outcome.rows:,} divergences."
        )
    else:
        description = (
            f"fct_divergences breaks {len(outcome.failures)} of the {outcome.expectations} expectations of "
            f"{outcome.suite}: " + "; ".join(failure.line() for failure in outcome.failures) + f". {what_to_do}"
        )
    return dg.AssetCheckResult(
        passed=outcome.passed, severity=dg.AssetCheckSeverity.ERROR, description=description, metadata=metadata
    )


@dg.asset_check(
    asset=DIVERGENCES,
    name=BUSINESS_RULES_CHECK,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description=(
        "Great Expectations business rules on every divergence: id set and unique; classification, queue, status, "
        "severity and owner_team set and in their sets (owner_team: the owner teams recon.yaml routes); resolved_at "
        "empty exactly while open; exposure_amount not negative; sla_due_at set on open action-queue rows. "
        "Blocking: a failure stops the exception sync in that run."
    ),
)
def divergences_business_rules(recon: ReconResource) -> dg.AssetCheckResult:
    with read_warehouse(recon.home_dir().warehouse) as conn:
        frame = _frame(conn, BUSINESS_COLUMNS)
    return check_result(validate_business_rules(frame, DIVERGENCE_TEAMS), BUSINESS_RULES_TODO)


@dg.asset_check(
    asset=DIVERGENCES,
    name=REFERENTIAL_CHECK,
    blocking=True,
    pool=WAREHOUSE_POOL,
    additional_deps=[CLUSTERS, ORDER_STATE],
    description=(
        "Great Expectations referential integrity: every divergence's cluster_id is a cluster of "
        "fct_divergence_clusters, and its order_id an order of fct_order_state (except orphan_record, whose "
        "order_id is the orphan's own key). Blocking: a failure stops the exception sync in that run."
    ),
)
def divergences_referential(recon: ReconResource) -> dg.AssetCheckResult:
    with read_warehouse(recon.home_dir().warehouse) as conn:
        frame = _frame(conn, REFERENTIAL_COLUMNS)
        clusters = [row[0] for row in conn.execute("select cluster_id from main.fct_divergence_clusters").fetchall()]
        orders = [row[0] for row in conn.execute("select order_id from main.fct_order_state").fetchall()]
    return check_result(validate_referential(frame, clusters, orders), REFERENTIAL_TODO)


mart_checks = [divergences_business_rules, divergences_referential]
