"""Schema-drift exceptions: a file quarantined whole at ingestion → one exception owned by `integrations`.

A file rejected whole (a wrong CSV header, unreadable bytes, too many invalid rows: `recon.quarantined_files`)
is a problem with a feed, not with orders, so no divergence and no cluster names it. It gets an exception of its
own, keyed by the file's content: fingerprint sha256("file:" + the file's sha256), `cluster_id`
`file:<sha256>`. The same bytes under another name are the same exception; a corrected file has new bytes and is
ingested, so it opens nothing. Run with every row of `recon.quarantined_files` (`quarantine_rows.py`) after
ingestion: a rerun finds what the last one opened and changes nothing. The cluster sync leaves these exceptions
alone (they have no divergences to auto-resolve them); people close them (resolve, ignore), and they escalate
like any other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dagster_project.config import SlaHoursConfig
from dagster_project.errors import ReconError
from dagster_project.store import states
from dagster_project.store.audit import append_audit
from dagster_project.store.models import ExceptionRow
from dagster_project.store.outbox import Outbox, OutboxMessage
from dagster_project.store.payloads import exception_snapshot
from dagster_project.store.queries import chunks
from dagster_project.store.store import Store
from dagster_project.store.sync import FILE_KEY, sla_period
from dagster_project.store.utc import as_utc, parse_time

RULE = "schema_drift"
# The source's format no longer matches what recon maps (a renamed column, an encoding): a mapping problem.
CLASSIFICATION = "mapping_error"
OWNER_TEAM = "integrations"
# Medium (24 h by default): the file's events reach no mart until a corrected copy lands, and later batches
# from the same exporter are likely to fail the same way, so it should not wait three days (low); but the
# money at stake already pages through the divergences those missing events cause, with their own severity,
# so the feed itself does not need the 4 h of high.
SEVERITY = "medium"
ACTOR = "system:sync"

_SHA256 = re.compile(r"[0-9a-f]{64}")
_REQUIRED = ("system", "file_path", "file_sha256", "reason", "quarantined_at")


@dataclass(frozen=True)
class FileSyncResult:
    """What one pass did: `opened` exceptions, and files whose content already had one (`known`, this pass's
    repeats of the same bytes included). opened + known = the files given."""

    opened: int = 0
    known: int = 0
    messages: tuple[OutboxMessage, ...] = ()

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "messages"}


def file_cluster_id(sha256: str) -> str:
    return f"{FILE_KEY}{sha256}"


def file_fingerprint(sha256: str) -> str:
    """sha256 of "file:" + the file's sha256, in hex (the cluster one is sha256 of "cluster:" + the cluster id)."""
    return hashlib.sha256(file_cluster_id(sha256).encode()).hexdigest()


def _file(index: int, row: Mapping[str, Any]) -> dict[str, Any]:
    """One row of recon.quarantined_files, checked, as the audit trail and the Slack payload carry it."""
    where = f"recon.quarantined_files row {index + 1}"
    for name in _REQUIRED:
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ReconError(f"{where}: {name} is missing")
    sha256 = str(row["file_sha256"])
    if not _SHA256.fullmatch(sha256):
        raise ReconError(f"{where}: file_sha256 {sha256!r} is not a sha256 in lowercase hex")
    try:
        quarantined_at = parse_time(row["quarantined_at"], "quarantined_at")
    except ValueError as exc:
        raise ReconError(f"{where}: {exc}") from None
    return {
        "system": str(row["system"]),
        "file_path": str(row["file_path"]),
        "file_sha256": sha256,
        "reason": str(row["reason"]),
        "rows_total": row.get("rows_total"),
        "rows_invalid": row.get("rows_invalid"),
        "stored_path": row.get("stored_path"),
        "quarantined_at": quarantined_at,
    }


def sync_quarantined_files(
    store: Store,
    files: list[Mapping[str, Any]],
    now: datetime,
    *,
    channel: str,
    sla_hours: SlaHoursConfig | None = None,
) -> FileSyncResult:
    """Open one exception per quarantined file content not seen before, in one transaction: audit `opened` (the
    file's path and reason in its details) and a `post_parent` to `channel` (the integrations team's). Files are
    taken oldest first, so of the same bytes under two names the first one quarantined names the exception. A row
    without a system, path, sha256, reason or time stops the pass before anything is written."""
    now = as_utc(now)
    sla_hours = sla_hours or SlaHoursConfig()
    checked = sorted(
        (_file(index, row) for index, row in enumerate(files)),
        key=lambda file: (file["quarantined_at"], file["file_path"], file["file_sha256"]),
    )
    by_fingerprint: dict[str, dict[str, Any]] = {}
    for file in checked:
        by_fingerprint.setdefault(file_fingerprint(file["file_sha256"]), file)
    with store.transaction() as session:
        known: set[str] = set()
        for chunk in chunks(list(by_fingerprint)):
            known.update(session.scalars(select(ExceptionRow.fingerprint).where(ExceptionRow.fingerprint.in_(chunk))))
        new = [(fingerprint, file) for fingerprint, file in by_fingerprint.items() if fingerprint not in known]
        created = []
        for fingerprint, file in new:
            exception = ExceptionRow(
                fingerprint=fingerprint,
                cluster_id=file_cluster_id(file["file_sha256"]),
                state=states.OPEN,
                occurrence=1,
                rule=RULE,
                classification=CLASSIFICATION,
                owner_team=OWNER_TEAM,
                system=file["system"],
                severity=SEVERITY,
                channel=channel,
                created_at=now,
                opened_at=now,
                updated_at=now,
                sla_due_at=now + sla_period(SEVERITY, sla_hours),
                escalation_step=0,
            )
            session.add(exception)
            created.append((exception, file))
        # One batched insert gives every new exception its id.
        session.flush()
        outbox = Outbox(session, now)
        for exception, file in created:
            append_audit(
                session,
                at=now,
                actor=ACTOR,
                action="opened",
                exception_id=exception.id,
                to_state=exception.state,
                details={
                    "cluster_id": exception.cluster_id,
                    "fingerprint": exception.fingerprint,
                    **file,
                    "severity": exception.severity,
                    "sla_due_at": exception.sla_due_at,
                },
            )
            payload = {"event": "opened", "exception": exception_snapshot(exception, []), "file": file}
            outbox.queue(exception, "post_parent", "opened", payload)
        messages = outbox.write()
        return FileSyncResult(opened=len(created), known=len(checked) - len(created), messages=messages)
