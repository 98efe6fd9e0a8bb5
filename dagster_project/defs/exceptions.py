"""The `exceptions` asset: the divergence marts → owned exceptions in the operational store → Slack.

An asset downstream of the marts rather than a sensor-launched run: it runs in the same run as the marts it
reads (in `recon run` and in the UI), its lineage shows in the graph, and a rerun is safe because the sync is
keyed by cluster fingerprints. It reads the warehouse read-only, so it takes the warehouse pool (a DuckDB
reader cannot open a file another process is writing).
"""

from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.exception_sync import store_metadata, sync_from_marts
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
    now, since = utc_now(), previous_sync(context.instance)
    with open_store(home.store_url) as store:
        synced = sync_from_marts(store, home.warehouse, recon.config(), now)
        context.log.info(f"exception sync: {synced.metadata()}")
        if synced.slack_error:
            context.log.error(f"Slack: {synced.slack_error}")
        metadata = store_metadata(synced, store, now, since)
    yield dg.MaterializeResult(metadata=metadata)
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


def previous_sync(instance: dg.DagsterInstance) -> datetime | None:
    """When the sync of the latest materialisation ran (its `synced_at`): manual resolutions after it are this
    run's. None before the first."""
    event = instance.get_latest_materialization_event(EXCEPTIONS_KEY)
    synced_at = event.asset_materialization.metadata.get("synced_at") if event else None
    return datetime.fromtimestamp(synced_at.value, UTC) if synced_at else None
