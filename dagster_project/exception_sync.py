"""The divergence marts → the operational store → Slack: what the `exceptions` asset does after each mart build,
and what a replay does after rebuilding the marts (or, in a dry run, computes and rolls back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster_project.config import Config
from dagster_project.marts import divergence_clusters, divergences, read_warehouse
from dagster_project.outbox_delivery import DeliveryReport, deliver_outbox, sender_for
from dagster_project.quarantine_rows import quarantined_files
from dagster_project.slack import SlackConfigError
from dagster_project.store import Store, SyncResult, sync_exceptions, sync_quarantined_files


@dataclass
class ExceptionSync:
    result: SyncResult
    file_exceptions_opened: int = 0
    messages_queued: int = 0
    delivery: DeliveryReport | None = None
    # Slack could not be used at all (a bad token, a wrong base URL): the messages wait in the outbox.
    slack_error: str | None = None

    def metadata(self) -> dict:
        metadata = {
            **self.result.counts(),
            "file_exceptions_opened": self.file_exceptions_opened,
            "messages_queued": self.messages_queued,
        }
        if self.delivery is not None:
            metadata |= {
                "slack_sent": self.delivery.sent,
                "slack_failed": self.delivery.failed,
                "slack_pending": self.delivery.pending_total,
                "slack": self.delivery.summary(),
                "slack_console": self.delivery.console,
            }
        return metadata


def sync_from_marts(
    store: Store, warehouse: Path, config: Config, now: datetime, *, dry_run: bool = False
) -> ExceptionSync:
    """Sync the exceptions with the marts of `warehouse` and deliver the outbox. A dry run only computes what the
    cluster sync would do (rolled back) and sends nothing."""
    with read_warehouse(warehouse) as conn:
        rows, clusters, files = divergences(conn), divergence_clusters(conn), quarantined_files(conn)
    # The mart was just read whole, so an empty one really is empty: let it auto-resolve what is active.
    result = sync_exceptions(
        store,
        rows,
        clusters,
        now,
        sla_hours=config.sla_hours,
        channels=config.channels(),
        allow_empty=True,
        dry_run=dry_run,
    )
    if dry_run:
        return ExceptionSync(result)
    drift = sync_quarantined_files(
        store, files, now, channel=config.channels()["integrations"], sla_hours=config.sla_hours
    )
    synced = ExceptionSync(result, drift.opened, len(result.messages) + len(drift.messages))
    try:
        synced.delivery = deliver_outbox(store, sender_for(config), now=now)
    except SlackConfigError as exc:
        synced.slack_error = str(exc)
    return synced
