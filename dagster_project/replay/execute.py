"""Execute a replay: only with a reason, by an allowed operator, under a lock, once; then verified.

The dry run is computed again first (so the promise is about the warehouse as it is now), then the same steps run
on the live warehouse: re-ingestion, the marts rebuilt for the same as_of, the exception sync (auto-resolving
what the replay fixed, editing Slack), and a Great Expectations suite checking that the result is what the dry
run promised. Who, why, scope, diff and outcome go to the audit trail; the outcome to each affected exception's
Slack thread.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dagster_project.errors import ReconError
from dagster_project.exception_sync import sync_from_marts
from dagster_project.home import Home
from dagster_project.marts import DIVERGENCE_COLUMNS, read_warehouse
from dagster_project.outbox_delivery import deliver_if_configured
from dagster_project.replay.diff import event_counts
from dagster_project.replay.dry_run import DryRun, dry_run, reingest
from dagster_project.replay.request import ReplayRequest
from dagster_project.replay.scratch import build_marts
from dagster_project.slack import SlackConfigError
from dagster_project.store import Store, open_store, resolve
from dagster_project.store.file_exceptions import file_cluster_id
from dagster_project.store.models import ExceptionDivergence, ExceptionRow
from dagster_project.store.replays import check_operator, finish_replay, list_replays, note_replay, start_replay
from dagster_project.store.states import ACTIVE
from dagster_project.store.utc import utc_now
from expectations.replay_verification import verify_replay


@dataclass
class ReplayOutcome:
    replay_id: int
    status: str  # verified | failed
    # A repeated execute: the replay that already did it, nothing done now.
    no_op: bool = False
    plan: DryRun | None = None
    verification: dict[str, Any] = field(default_factory=dict)
    exceptions: dict[str, int] = field(default_factory=dict)
    slack: str | None = None


def request_key(request: ReplayRequest, status_map: dict) -> str:
    """The request as the operator gave it (and, for remap, the mapping asked for): the same request again finds
    the replay that already carried it out."""
    given = {"kind": request.kind, "systems": sorted(request.systems), "files": sorted(request.files)}
    given |= {"orders": sorted(request.orders)}
    if request.kind == "remap":
        given["status_map"] = status_map
    return hashlib.sha256(json.dumps(given, sort_keys=True).encode()).hexdigest()


def _already_done(store: Store, key: str):
    """The latest verified replay of the same request, if any."""
    return next((r for r in list_replays(store, statuses=["verified"]) if r.scope.get("request_key") == key), None)


def _affected_exceptions(store: Store, divergence_ids: list[str]) -> list[int]:
    with store.session() as session:
        rows = session.scalars(
            select(ExceptionDivergence.exception_id).where(ExceptionDivergence.divergence_id.in_(divergence_ids))
        )
        return sorted(set(rows))


def _resolve_file_exceptions(home: Home, store: Store, replay_id: int) -> int:
    """A schema-drift exception is about a file: once this replay took the file out of quarantine, it is resolved
    (the sync never auto-resolves those, having no divergences to go by)."""
    with read_warehouse(home.warehouse) as conn:
        shas = [
            row[0]
            for row in conn.execute(
                "select distinct file_sha256 from recon.quarantined_files where replay_id = ?", [f"replay-{replay_id}"]
            ).fetchall()
        ]
    with store.session() as session:
        ids = session.scalars(
            select(ExceptionRow.id).where(
                ExceptionRow.cluster_id.in_([file_cluster_id(sha) for sha in shas]), ExceptionRow.state.in_(ACTIVE)
            )
        ).all()
    for exception_id in ids:
        resolve(store, exception_id, f"system:replay-{replay_id}", f"replay {replay_id} ingested the corrected file")
    return len(ids)


def execute(
    home: Home, request: ReplayRequest, *, operator: str, reason: str | None, landing: Path | None = None
) -> ReplayOutcome:
    config = home.config()
    reason = (reason or "").strip()
    if not reason:
        raise ReconError("a replay executes only with --reason TEXT: say why (it is kept in the audit trail)")
    check_operator(operator, config.replay.operators)
    key_of_request = request_key(request, config.status_map)
    with open_store(home.store_url) as store:
        try:
            plan = dry_run(home, request, landing=landing)
        except ReconError:
            done = _already_done(store, key_of_request)
            if done is None:
                raise
            return ReplayOutcome(done.id, done.status, no_op=True)
        if plan.empty:
            done = _already_done(store, key_of_request)
            if done is not None:
                return ReplayOutcome(done.id, done.status, no_op=True, plan=plan)
            raise ReconError(f"nothing to replay: the dry run of this {request.kind} replay changes nothing")
        started = start_replay(
            store,
            idempotency_key=hashlib.sha256((key_of_request + plan.content_digest()).encode()).hexdigest(),
            kind=request.kind,
            scope=plan.request.scope() | {"request_key": key_of_request},
            units=plan.request.units(),
            operator=operator,
            reason=reason,
            diff=plan.summary(),
            now=utc_now(),
        )
        if started.already is not None:
            return ReplayOutcome(started.already.id, started.already.status, no_op=True, plan=plan)
        return _carry_out(home, store, started.replay.id, plan, landing)


def _carry_out(home: Home, store: Store, replay_id: int, plan: DryRun, landing: Path | None) -> ReplayOutcome:
    config, label = home.config(), f"replay-{replay_id}"
    outcome = ReplayOutcome(replay_id, "failed", plan=plan)
    try:
        with read_warehouse(home.warehouse) as conn:
            before = event_counts(conn)
        reingest(home, plan.request, home.warehouse, landing, label)
        build_marts(home, home.warehouse, config, plan.as_of, label)
        synced = sync_from_marts(store, home.warehouse, config, utc_now())
        outcome.exceptions = synced.result.counts()
        outcome.exceptions["file_exceptions_resolved"] = _resolve_file_exceptions(home, store, replay_id)
        with read_warehouse(home.warehouse) as conn:
            after = event_counts(conn)
            mart = conn.execute(f"select {', '.join(DIVERGENCE_COLUMNS)} from main.fct_divergences").df()
        checked = verify_replay(
            plan.promised(),
            mart,
            counts_before=before,
            counts_after=after,
            expected_rows_added=plan.diff.rows_added(),
        )
        outcome.verification = checked.as_dict()
        outcome.status = "verified" if checked.passed else "failed"
    except Exception as exc:
        outcome.verification = {"passed": False, "error": str(exc)}
        finish_replay(store, replay_id, status="failed", verification=outcome.verification, now=utc_now())
        raise
    finish_replay(store, replay_id, status=outcome.status, verification=outcome.verification, now=utc_now())
    summary = (
        f"{len(plan.diff.resolve)} divergences resolved, {len(plan.diff.appear)} appeared, "
        f"{len(plan.diff.reclassify)} reclassified; {sum(plan.diff.rows_added().values())} rows ingested"
    )
    note_replay(store, replay_id, _affected_exceptions(store, plan.diff.divergence_ids()), summary, utc_now())
    outcome.slack = _deliver(store, config)
    return outcome


def _deliver(store: Store, config) -> str:
    try:
        return deliver_if_configured(store, config)
    except SlackConfigError as exc:
        return f"not delivered: {exc}"
