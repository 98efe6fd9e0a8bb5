"""The `exceptions` asset: the divergence marts → owned exceptions in the operational store → Slack.

An asset downstream of the marts rather than a sensor-launched run: it runs in the same run as the marts it
reads (in `recon run` and in the UI), its lineage shows in the graph, and a rerun is safe because the sync is
keyed by cluster fingerprints. It reads the warehouse read-only, so it takes the warehouse pool (a DuckDB
reader cannot open a file another process is writing).
"""

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.marts import divergence_clusters, divergences, read_warehouse
from dagster_project.outbox_delivery import deliver_outbox, sender_for
from dagster_project.quarantine_rows import quarantined_files
from dagster_project.slack import SlackConfigError
from dagster_project.store import open_store, sync_exceptions, sync_quarantined_files
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
    home, config = recon.home_dir(), recon.config()
    with read_warehouse(home.warehouse) as conn:
        rows, clusters, files = divergences(conn), divergence_clusters(conn), quarantined_files(conn)
    store = open_store(home.store_url)
    now = utc_now()
    # The mart was just read whole, so an empty one really is empty: let it auto-resolve what is active.
    result = sync_exceptions(
        store,
        rows,
        clusters,
        now,
        sla_hours=config.sla_hours,
        channels=config.channels(),
        allow_empty=True,
    )
    drift = sync_quarantined_files(
        store, files, now, channel=config.channels()["integrations"], sla_hours=config.sla_hours
    )
    queued = len(result.messages) + len(drift.messages)
    context.log.info(
        f"exception sync: {result.counts()}; {drift.opened} schema-drift exceptions opened; {queued} messages queued"
    )
    error = None
    try:
        delivery = deliver_outbox(store, sender_for(config), now=now)
    except SlackConfigError as exc:
        error, delivery = str(exc), None
        context.log.error(f"Slack: {error}")
    metadata = {**result.counts(), "file_exceptions_opened": drift.opened, "messages_queued": queued}
    if delivery is not None:
        metadata |= {
            "slack_sent": delivery.sent,
            "slack_failed": delivery.failed,
            "slack_pending": delivery.pending_total,
            "slack": delivery.summary(),
            "slack_console": delivery.console,
        }
    yield dg.MaterializeResult(metadata=metadata)
    passed = error is None and delivery.failed == 0 and (delivery.console or delivery.pending_total == 0)
    yield dg.AssetCheckResult(
        check_name=SLACK_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=error or (delivery.summary() + ("; " + "; ".join(delivery.errors[:5]) if delivery.errors else "")),
        metadata={"slack_error": error or ""},
    )
