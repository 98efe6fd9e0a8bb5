"""Exception sync: the divergence marts → exceptions, their links, audit events and Slack messages.

One exception per action cluster, found by its fingerprint, so a rerun finds what the last run made and
changes nothing. Run after `fct_divergences` materialises, with the whole mart (every status).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dagster_project.config import SlaHoursConfig
from dagster_project.errors import ReconError
from dagster_project.store import states
from dagster_project.store.audit import append_audit
from dagster_project.store.divergence_rows import Observed, action_divergences_by_cluster
from dagster_project.store.fingerprint import cluster_fingerprint
from dagster_project.store.models import SEVERITIES, ExceptionDivergence, ExceptionRow
from dagster_project.store.outbox import Outbox, OutboxMessage
from dagster_project.store.payloads import TOP_DIVERGENCES, by_exposure, divergence_brief, exception_snapshot
from dagster_project.store.queries import chunks, links_by_exception
from dagster_project.store.store import Store
from dagster_project.store.utc import as_utc, iso, parse_time


@dataclass(frozen=True)
class SyncResult:
    """What one sync did. Exceptions: opened + reopened + auto_resolved + updated + unchanged = all of them.
    `attached` counts divergences newly linked to exceptions that existed before this sync."""

    opened: int = 0
    attached: int = 0
    reopened: int = 0
    auto_resolved: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: tuple[OutboxMessage, ...] = ()

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "messages"}


def sla_period(severity: str, sla_hours: SlaHoursConfig) -> timedelta:
    """Time to acknowledge an exception of this severity (RULES.md: high 4 h, medium 24 h, low 72 h)."""
    return timedelta(hours=getattr(sla_hours, severity))


def max_severity(items: Iterable[Observed | ExceptionDivergence]) -> str:
    found = {item.severity for item in items}
    return next((severity for severity in SEVERITIES if severity in found), "low")


def _digest(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


# The `cluster_id` of exceptions keyed by something other than an action cluster: a quarantined file
# (`file:<sha256>`, store/file_exceptions.py). Mart cluster ids are hex hashes, never this.
FILE_KEY = "file:"


def _load(
    session: Session, cluster_ids: Iterable[str]
) -> tuple[list[ExceptionRow], dict[int, dict[str, ExceptionDivergence]]]:
    """The exceptions the sync may change: every active cluster exception (its divergences may have vanished from
    the mart) and those of the given clusters. With their links by divergence id. File exceptions have no
    divergences and are not the sync's: it would auto-resolve them."""
    active = select(ExceptionRow).where(
        ExceptionRow.state.in_(states.ACTIVE), ExceptionRow.cluster_id.not_like(f"{FILE_KEY}%")
    )
    found = {row.id: row for row in session.scalars(active)}
    for chunk in chunks(sorted(cluster_ids)):
        found.update(
            (row.id, row) for row in session.scalars(select(ExceptionRow).where(ExceptionRow.cluster_id.in_(chunk)))
        )
    links = {
        exception_id: {link.divergence_id: link for link in exception_links}
        for exception_id, exception_links in links_by_exception(session, found).items()
    }
    return [found[exception_id] for exception_id in sorted(found)], links


def _seen_now(session: Session, exception_ids: list[int], now: datetime) -> None:
    """Every link of these exceptions that did not vanish in this sync was in the mart: seen now. One UPDATE per
    chunk rather than one per link (new links already say now)."""
    for chunk in chunks(exception_ids):
        session.execute(
            update(ExceptionDivergence)
            .where(
                ExceptionDivergence.exception_id.in_(chunk),
                ExceptionDivergence.vanished_at.is_(None),
                ExceptionDivergence.last_seen_at < now,
            )
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )


_COMPARED = ("status", "severity", "exposure_amount", "currency", "resolved_at")


@dataclass
class _Sync:
    session: Session
    now: datetime
    actor: str
    sla_hours: SlaHoursConfig
    channels: Mapping[str, str]
    outbox: Outbox
    tally: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SyncResult().counts(), 0))

    # --- links -------------------------------------------------------------------------------------------

    def _link(self, exception: ExceptionRow, observed: Observed) -> ExceptionDivergence:
        link = ExceptionDivergence(
            exception_id=exception.id,
            divergence_id=observed.divergence_id,
            cluster_id=observed.cluster_id,
            order_id=observed.order_id,
            divergence_start=observed.divergence_start,
            first_seen_at=self.now,
            last_seen_at=self.now,
        )
        self._copy(link, observed)
        self.session.add(link)
        return link

    @staticmethod
    def _copy(link: ExceptionDivergence, observed: Observed) -> None:
        for name in _COMPARED:
            setattr(link, name, getattr(observed, name))
        link.summary = observed.summary
        link.vanished_at = None

    def _refresh(self, link: ExceptionDivergence, observed: Observed) -> bool:
        """Bring a link up to the mart's row; True when something that matters changed (not the summary's
        wording, which moves with as_of). Its last-seen time moves in `_seen_now`."""
        if link.vanished_at is None and all(getattr(link, n) == getattr(observed, n) for n in _COMPARED):
            return False
        self._copy(link, observed)
        return True

    def _vanish(self, link: ExceptionDivergence) -> bool:
        """The divergence left its cluster's action rows: resolved now, if it was open."""
        if link.vanished_at is not None:
            return False
        link.vanished_at = self.now
        if link.status == "open":
            link.status, link.resolved_at = "resolved", self.now
        return True

    # --- messages and audit ------------------------------------------------------------------------------

    def _queue(self, exception: ExceptionRow, kind: str, key: str, event: str, links, divergences=None) -> None:
        """A message about `event`: the exception's snapshot, and the divergences it is about (if any)."""
        payload: dict[str, Any] = {"event": event, "exception": exception_snapshot(exception, links)}
        if divergences is not None:
            payload["count"] = len(divergences)
            payload["divergences"] = [divergence_brief(link) for link in by_exposure(divergences)[:TOP_DIVERGENCES]]
        self.outbox.queue(exception, kind, key, payload)

    def _audit(self, exception: ExceptionRow, action: str, from_state: str | None, details: dict[str, Any]):
        return append_audit(
            self.session,
            at=self.now,
            actor=self.actor,
            action=action,
            exception_id=exception.id,
            from_state=from_state,
            to_state=exception.state,
            details=details,
        )

    def _set_severity(self, exception: ExceptionRow, severity: str) -> None:
        exception.severity = severity
        exception.sla_due_at = exception.opened_at + sla_period(severity, self.sla_hours)

    # --- one exception -----------------------------------------------------------------------------------

    def new_exception(self, cluster_id: str, seen: dict[str, Observed], cluster: Mapping[str, Any]):
        """The exception of a new action cluster with something open (None when all of it is resolved already)."""
        open_now = [item for item in seen.values() if item.status == "open"]
        if not open_now:
            return None
        first = min(seen.values(), key=lambda item: (iso(item.divergence_start) or "", item.divergence_id))
        owner = cluster.get("owner_team") or first.owner_team
        if not owner:
            raise ReconError(f"cluster {cluster_id} has no owner_team: the marts route every divergence to a team")
        try:
            bucket_start = parse_time(cluster.get("bucket_start"), "bucket_start")
        except ValueError as exc:
            raise ReconError(f"fct_divergence_clusters {cluster_id}: {exc}") from None
        exception = ExceptionRow(
            fingerprint=cluster_fingerprint(cluster_id),
            cluster_id=cluster_id,
            state=states.OPEN,
            occurrence=1,
            rule=cluster.get("rule") or first.rule,
            classification=cluster.get("classification") or first.classification,
            owner_team=owner,
            carrier=cluster.get("carrier", first.carrier),
            zone=cluster.get("zone", first.zone),
            payment_mode=cluster.get("payment_mode"),
            system=cluster.get("system"),
            bucket_grain=cluster.get("bucket_grain"),
            bucket_start=bucket_start,
            channel=self.channels.get(owner, f"#{owner}"),
            created_at=self.now,
            opened_at=self.now,
            updated_at=self.now,
            escalation_step=0,
        )
        self._set_severity(exception, max_severity(open_now))
        return exception

    def opened(self, exception: ExceptionRow, seen: dict[str, Observed]) -> None:
        """A new exception, once it has its id: every action divergence of its cluster linked, audited, posted."""
        links = [self._link(exception, seen[divergence_id]) for divergence_id in sorted(seen)]
        self._audit(
            exception,
            "opened",
            None,
            {
                "cluster_id": exception.cluster_id,
                "fingerprint": exception.fingerprint,
                "divergences": len(links),
                "open_divergences": sum(link.status == "open" for link in links),
                "severity": exception.severity,
                "sla_due_at": exception.sla_due_at,
            },
        )
        self._queue(exception, "post_parent", "opened", "opened", links)
        self.tally["opened"] += 1

    def existing(self, exception: ExceptionRow, links: dict[str, ExceptionDivergence], seen: dict[str, Observed]):
        changed = False
        # Open now and not before: what reopens a closed exception.
        newly_open: list[ExceptionDivergence] = []
        for divergence_id, link in links.items():
            observed = seen.get(divergence_id)
            if observed is None:
                changed |= self._vanish(link)
                continue
            was_open = link.status == "open"
            changed |= self._refresh(link, observed)
            if link.status == "open" and not was_open:
                newly_open.append(link)
        new_links = [self._link(exception, seen[d]) for d in sorted(seen) if d not in links]
        newly_open += [link for link in new_links if link.status == "open"]
        self.tally["attached"] += len(new_links)
        changed |= bool(new_links)
        all_links = [*links.values(), *new_links]
        open_links = [link for link in all_links if link.status == "open"]

        if exception.state in states.ACTIVE and not open_links:
            self._auto_resolve(exception, all_links)
        elif exception.state in states.REOPENABLE and newly_open:
            self._reopen(exception, all_links, newly_open)
        elif exception.state in states.ACTIVE:
            if new_links:
                key = f"attached:{_digest(link.divergence_id for link in new_links)}"
                self._queue(exception, "thread_reply", key, "attached", all_links, new_links)
            changed |= self._follow_severity(exception, all_links, open_links)
            self._count(exception, changed)
        else:
            # An ignored exception keeps its links current and says nothing; so does a closed one whose
            # divergences moved without reopening (a late resolution time, a vanished row coming back resolved).
            self._count(exception, changed)

    def _count(self, exception: ExceptionRow, changed: bool) -> None:
        if changed:
            exception.updated_at = self.now
        self.tally["updated" if changed else "unchanged"] += 1

    def _follow_severity(self, exception, links, open_links) -> bool:
        severity = max_severity(open_links)
        if severity == exception.severity:
            return False
        before, due_before = exception.severity, exception.sla_due_at
        self._set_severity(exception, severity)
        event = self._audit(
            exception,
            "severity_changed",
            exception.state,
            {
                "from": before,
                "to": severity,
                "sla_due_at_from": due_before,
                "sla_due_at": exception.sla_due_at,
            },
        )
        self._queue(
            exception, "update_parent", f"{exception.occurrence}:severity:{event.id}", "severity_changed", links
        )
        return True

    def _auto_resolve(self, exception: ExceptionRow, links: list[ExceptionDivergence]) -> None:
        before = exception.state
        exception.state = states.next_state(exception.id, before, "auto_resolve")
        exception.closed_at, exception.closed_reason = self.now, "every divergence resolved"
        exception.updated_at = self.now
        vanished = sorted(link.divergence_id for link in links if link.vanished_at == self.now)
        self._audit(exception, "auto_resolved", before, {"divergences": len(links), "vanished": vanished})
        self._queue(exception, "update_parent", f"{exception.occurrence}:auto_resolved", "auto_resolved", links)
        self.tally["auto_resolved"] += 1

    def _reopen(self, exception: ExceptionRow, links, newly_open: list[ExceptionDivergence]) -> None:
        """A new episode: acknowledged again from scratch, SLA counted from now, escalation from step 0."""
        before = exception.state
        exception.state = states.next_state(exception.id, before, "reopen")
        exception.occurrence += 1
        exception.opened_at = exception.updated_at = self.now
        exception.acknowledged_at = exception.acknowledged_by = exception.assignee = None
        exception.closed_at = exception.closed_reason = None
        exception.escalation_step, exception.escalated_at = 0, None
        self._set_severity(exception, max_severity(link for link in links if link.status == "open"))
        self._audit(
            exception,
            "reopened",
            before,
            {
                "occurrence": exception.occurrence,
                "divergences": sorted(link.divergence_id for link in newly_open),
                "severity": exception.severity,
                "sla_due_at": exception.sla_due_at,
            },
        )
        key = f"{exception.occurrence}:reopened"
        self._queue(exception, "update_parent", key, "reopened", links)
        self._queue(exception, "thread_reply", key, "reopened", links, newly_open)
        self.tally["reopened"] += 1


def sync_exceptions(
    store: Store,
    divergences: list[dict],
    clusters: list[dict],
    now: datetime,
    actor: str = "system:sync",
    *,
    sla_hours: SlaHoursConfig | None = None,
    channels: Mapping[str, str] | None = None,
    allow_empty: bool = False,
    dry_run: bool = False,
) -> SyncResult:
    """Open, attach, reopen and auto-resolve exceptions from the rows of `fct_divergences` and
    `fct_divergence_clusters`, in one transaction. Informational divergences are left out entirely.

    `channels` maps an owner team to its Slack channel (default `#<owner_team>`), fixed when the exception
    opens. An empty divergence list while exceptions are active is refused (a failed read would otherwise
    auto-resolve them all) unless `allow_empty`. `dry_run` computes everything and rolls it back: what a
    replay's new marts would do to the exceptions, with the store unchanged.
    """
    now = as_utc(now)
    sla_hours = sla_hours or SlaHoursConfig()
    observed = action_divergences_by_cluster(divergences)
    cluster_rows = {str(row["cluster_id"]): row for row in clusters}
    try:
        with store.transaction() as session:
            return _sync(
                session, observed, cluster_rows, divergences, now, actor, sla_hours, channels, allow_empty, dry_run
            )
    except _RolledBack as rolled_back:
        return rolled_back.result


class _RolledBack(Exception):
    """Raised out of a dry-run's transaction so it rolls back, carrying what the sync would have done."""

    def __init__(self, result: SyncResult):
        self.result = result


def _sync(session: Session, observed, cluster_rows, divergences, now, actor, sla_hours, channels, allow_empty, dry_run):
    """The sync in the caller's transaction; a dry run ends by raising `_RolledBack`."""
    total = session.scalar(select(func.count()).select_from(ExceptionRow))
    exceptions, links = _load(session, observed)
    active = sum(exception.state in states.ACTIVE for exception in exceptions)
    if not divergences and active and not allow_empty:
        raise ReconError(
            f"no divergences given while {active} exceptions are active: refusing to auto-resolve them all "
            "(is fct_divergences empty?); pass allow_empty=True if the mart really is empty"
        )
    sync = _Sync(session, now, actor, sla_hours, channels or {}, Outbox(session, now))
    for exception in exceptions:
        sync.existing(exception, links[exception.id], observed.get(exception.cluster_id, {}))
    known = {exception.cluster_id for exception in exceptions}
    new_clusters = sorted(
        observed.keys() - known,
        key=lambda cid: (min(iso(o.divergence_start) or "" for o in observed[cid].values()), cid),
    )
    created = []
    for cluster_id in new_clusters:
        exception = sync.new_exception(cluster_id, observed[cluster_id], cluster_rows.get(cluster_id, {}))
        if exception is not None:
            session.add(exception)
            created.append(exception)
    # One batched insert gives every new exception its id.
    session.flush()
    for exception in created:
        sync.opened(exception, observed[exception.cluster_id])
    session.flush()
    _seen_now(session, [exception.id for exception in exceptions], now)
    messages = sync.outbox.write()
    # Exceptions the sync did not even load (closed, cluster gone from the mart) are unchanged too.
    sync.tally["unchanged"] += total - len(exceptions)
    result = SyncResult(**sync.tally, messages=messages)
    if dry_run:
        raise _RolledBack(result)
    return result
