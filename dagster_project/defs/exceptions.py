"""The `exceptions` asset: the divergence marts → owned exceptions in the operational store → Slack.

An asset downstream of the marts rather than a sensor-launched run: it runs in the same run as the marts it
reads (in `recon run` and in the UI), its lineage shows in the graph, and a rerun is safe because the sync is
keyed by cluster fingerprints. It reads the warehouse read-only, so it takes the warehouse pool (a DuckDB
reader cannot open a file another process is writing).
"""

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.exception_sync import sync_from_marts
from dagster_project.store import open_store
from dagster_project.store.utc import utc_now

EXCEPTIONS_KEY = dg.AssetKey(["exceptions"])
SLACK_CHECK = "slack_delivered"


@dg.asset(
    key=EXCEPTIONS_KEY,
    group_name="exceptions",
    deps=[dg.AssetKey(["fct_divergences"]), dg.AssetKey(["fct_divergence_clusters"])],
    kinds={"slack", "sqlite"},
    owners=["team:data-platform"],
    pool=WAREHOUSE_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            SLACK_CHECK,
            asset=EXCEPTIONS_KEY,
            description="Every message the sync queued reached Slack (or the console when no token is set).",
        )
    ],
    description=(
        "One exception per action cluster of `fct_divergences`, in the operational store: opened, attached, "
        "reopened and auto-resolved by cluster fingerprint, audited, and announced in the owner team's Slack "
        "channel through the outbox. Informational divergences never open one. A file quarantined whole opens "
        "a schema-drift exception for `integrations`."
    ),
)
def exceptions(context: dg.AssetExecutionContext, recon: ReconResource):
    home = recon.home_dir()
    synced = sync_from_marts(open_store(home.store_url), home.warehouse, recon.config(), utc_now())
    context.log.info(f"exception sync: {synced.metadata()}")
    if synced.slack_error:
        context.log.error(f"Slack: {synced.slack_error}")
    yield dg.MaterializeResult(metadata=synced.metadata())
    delivery = synced.delivery
    passed = synced.slack_error is None and delivery.failed == 0 and (delivery.console or delivery.pending_total == 0)
    errors = "; ".join(delivery.errors[:5]) if delivery else ""
    yield dg.AssetCheckResult(
        check_name=SLACK_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=synced.slack_error or (delivery.summary() + (f"; {errors}" if errors else "")),
        metadata={"slack_error": synced.slack_error or ""},
    )
