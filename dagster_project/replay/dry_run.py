"""A replay computed into a scratch copy of the warehouse: the diff it would make, nothing changed.

Quarantine and orders replays first re-ingest into the copy; every kind then rebuilds the marts on the copy for
the as_of the live marts were built for, diffs the divergence mart against the live one, and runs the exception
sync on the new marts in a transaction it rolls back. The live warehouse is only read, the store rolled back,
Slack not called.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.errors import ReconError
from dagster_project.exception_sync import sync_from_marts
from dagster_project.home import Home
from dagster_project.ingestion.load import IngestContext
from dagster_project.marts import read_warehouse
from dagster_project.replay.diff import MartDiff, diff_marts
from dagster_project.replay.remap import status_changes
from dagster_project.replay.request import ReplayRequest
from dagster_project.replay.scratch import build_marts, scratch_copy
from dagster_project.store import open_store
from dagster_project.store.utc import utc_now


@dataclass
class DryRun:
    request: ReplayRequest
    as_of: datetime | None
    diff: MartDiff
    # What re-ingestion did in the copy (quarantine, orders): counts as the ingestion primitives report them.
    ingest: dict[str, Any] = field(default_factory=dict)
    # What the exception sync would do with the new marts (opened, auto_resolved, reopened, ...).
    exceptions: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.diff.changes == 0 and not any(self.diff.rows_added().values())

    def content_digest(self) -> str:
        """What this replay would change, as one hash: with the scope, its idempotency key."""
        content = {
            "resolve": [r["divergence_id"] for r in self.diff.resolve],
            "appear": [r["divergence_id"] for r in self.diff.appear],
            "reclassify": [r["divergence_id"] for r in self.diff.reclassify],
            "rows_added": self.diff.rows_added(),
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def promised(self) -> dict[str, Any]:
        """What the execute must produce (the shape `expectations/replay_verification.py` checks)."""
        return {
            "resolve": [r["divergence_id"] for r in self.diff.resolve],
            "appear": [r["divergence_id"] for r in self.diff.appear],
            "reclassify": [r["divergence_id"] for r in self.diff.reclassify],
            "after_rows": self.diff.after_rows,
            "rows_added": self.diff.rows_added(),
        }

    def summary(self) -> dict[str, Any]:
        """Counts and lists for the audit trail and the JSON output (not the whole post-state)."""
        return {
            "scope": self.request.scope(),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "divergences_resolving": len(self.diff.resolve),
            "divergences_appearing": len(self.diff.appear),
            "divergences_reclassified": len(self.diff.reclassify),
            "orders": self.diff.orders(),
            "rows_added": self.diff.rows_added(),
            "ingest": self.ingest,
            "exceptions": self.exceptions,
        }


def built_as_of(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as_of the live marts were built for (`mart_build`), so the replay evaluates the same moment."""
    row = conn.execute("select as_of from main.mart_build").fetchone()
    return row[0].replace(tzinfo=UTC) if row else None


def reingest(home: Home, request: ReplayRequest, warehouse: Path, landing: Path | None, label: str) -> dict:
    """Quarantine / orders: re-ingest into `warehouse`, returning the counts. Remap needs none."""
    if request.kind == "remap":
        return {}
    from dagster_project.ingestion.replay import replay_quarantined, resync_orders

    config = home.config()
    conn = duckdb.connect(str(warehouse), config={"autoinstall_known_extensions": False})
    try:
        # The home's quarantine folder: the kept copies and corrected files are read from there.
        ctx = IngestContext(conn, home.quarantine_dir, config.ingest.max_invalid_share, label, utc_now())
        if request.kind == "quarantine":
            result = replay_quarantined(
                ctx,
                replay_id=label,
                systems=request.systems or None,
                file_sha256s=request.files or None,
                landing=landing,
            )
        else:
            if landing is None:
                raise ReconError("an orders replay re-reads the landing zone: pass --landing DIR")
            result = resync_orders(ctx, landing, request.orders, replay_id=label)
            if result.missing and len(result.missing) == len(request.orders):
                raise ReconError(
                    f"nothing to replay: no event of {', '.join(result.missing)} in {landing}; check the order ids"
                )
        return result.to_json()
    finally:
        conn.close()


def dry_run(home: Home, request: ReplayRequest, *, landing: Path | None = None) -> DryRun:
    """Compute the replay into a scratch copy and report its diff; changes nothing."""
    config = home.config()
    with read_warehouse(home.warehouse) as conn:
        as_of = built_as_of(conn)
        changes = status_changes(conn, config) if request.kind == "remap" else None
    if request.kind == "remap":
        if not changes:
            raise ReconError(
                "nothing to remap: status_map in recon.yaml maps every native status as the marts were built; "
                "add or change a mapping there first"
            )
        request = replace(request, statuses=tuple(changes))
    label = f"dry-{uuid.uuid4().hex[:8]}"
    with scratch_copy(home) as scratch:
        ingest = reingest(home, request, scratch, landing, label)
        build_marts(home, scratch, config, as_of, label)
        diff = diff_marts(home.warehouse, scratch)
        with open_store(home.store_url) as store:
            exceptions = sync_from_marts(store, scratch, config, utc_now(), dry_run=True).result.counts()
    return DryRun(request, as_of, diff, ingest, exceptions)
