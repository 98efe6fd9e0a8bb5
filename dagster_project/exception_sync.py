"""The divergence marts → the operational store → Slack: what the `exceptions` asset does after each mart build,
and what a replay does after rebuilding the marts (or, in a dry run, computes and rolls back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
from sqlalchemy import func, select

from dagster_project.config import Config
from dagster_project.mart_metrics import md_text, thread_cell
from dagster_project.marts import divergence_clusters, divergences, read_warehouse
from dagster_project.outbox_delivery import DeliveryReport, deliver_outbox, sender_for
from dagster_project.quarantine_rows import quarantined_files
from dagster_project.slack import SlackConfigError
from dagster_project.store import Store, SyncResult, sync_exceptions, sync_quarantined_files
from dagster_project.store.models import AuditEvent, ExceptionRow
from dagster_project.store.outbox import threads_opened_since
from dagster_project.store.states import ACTIVE

# Rows of the table of exceptions a sync opened; the rest are counted below it.
OPENED_LISTED = 50


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


def store_metadata(synced: ExceptionSync, store: Store, now: datetime, since: datetime | None) -> dict:
    """The sync's counts with what the store holds after it (the sync ran at `now`; `since` is the previous
    sync's `now`, None for the first): exceptions resolved by people in between and in all (`resolved`, with
    the sync's auto-resolutions), exceptions still to act on (`open_total`: open, acknowledged or assigned), and a
    table of the exceptions this sync opened, linked to their Slack threads. `synced_at` is the next `since`."""
    with store.session() as session:
        manual = select(func.count()).where(AuditEvent.action == "resolved", AuditEvent.at <= now)
        if since is not None:
            manual = manual.where(AuditEvent.at > since)
        resolved_manually = session.scalar(manual)
        open_total = session.scalar(select(func.count()).where(ExceptionRow.state.in_(ACTIVE)))
    return {
        **synced.metadata(),
        "resolved_manually": resolved_manually,
        "resolved": synced.result.auto_resolved + resolved_manually,
        "open_total": open_total,
        "synced_at": dg.MetadataValue.timestamp(now),
        "opened_exceptions": dg.MetadataValue.md(opened_markdown(store, now)),
    }


def opened_markdown(store: Store, now: datetime) -> str:
    """The exceptions the sync at `now` opened, as a Markdown table with their Slack threads."""
    opened = threads_opened_since(store, now)
    if not opened:
        return "No exception opened in this run."
    lines = [
        "| exception | severity | rule | classification | owner | scope |",
        "|:--|:--|:--|:--|:--|:--|",
    ]
    for thread in opened[:OPENED_LISTED]:
        scope = ", ".join(f"{name} {md_text(value)}" for name, value in thread.scope.items()) or "—"
        described = (thread.severity, thread.rule, thread.classification, thread.owner_team)
        cells = [thread_cell(thread), *(md_text(value or "—") for value in described), scope]
        lines.append("| " + " | ".join(cells) + " |")
    if len(opened) > OPENED_LISTED:
        lines.append(f"\n…and {len(opened) - OPENED_LISTED:,} more (`recon exceptions list`).")
    return "\n".join(lines)


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
