"""Replays in the store: who may execute one, its row and its locks, its outcome in the audit trail, and the note
it leaves in the Slack threads of the exceptions it touched.

A dry-run writes nothing here. An execute calls, in order:

1. `check_operator(operator, config.replay.operators)`;
2. `start_replay(...)`, one transaction: a key already `verified` is a no-op (`ReplayStart.already`); otherwise
   every lock unit of the scope is taken, or `ReplayLocked` names the running replay that holds one; the replay
   row is written `running` and audited (`replay_started`);
3. the replay itself, then the verification suite (`expectations/replay_verification.py`);
4. `finish_replay(..., status="verified" | "failed", verification=...)`: releases the locks, audits the outcome;
5. `note_replay(...)`: one `thread_reply` per exception touched, saying what happened.

Lock units are strings naming what a replay rewrites: `warehouse`, `order:<order id>`,
`status:<system>:<native status>`, `file:<sha256>`. Two replays overlap when they share a unit. A lock held past
`expires_at` belongs to a replay that crashed (or outlived its time to live): the next replay needing one of its
units takes it over, and the crashed replay is marked `failed` (abandoned) so it cannot later claim success.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from dagster_project.errors import ReconError
from dagster_project.store.audit import append_audit, canonical_json
from dagster_project.store.models import REPLAY_KINDS, Replay, ReplayLock
from dagster_project.store.outbox import Outbox, OutboxMessage
from dagster_project.store.payloads import exception_snapshot, jsonable
from dagster_project.store.queries import chunks, get_exception, links_by_exception
from dagster_project.store.store import Store
from dagster_project.store.utc import as_utc

DEFAULT_TTL = timedelta(hours=2)
# The actor of what the system records about a replay: its verification outcome, an abandoned replay.
REPLAYS_ACTOR = "system:replays"
FINISHED = ("verified", "failed")
MAX_KEY = Replay.__table__.c.idempotency_key.type.length
MAX_UNIT = ReplayLock.__table__.c.unit.type.length
MAX_OPERATOR = Replay.__table__.c.operator.type.length

OPERATOR_REQUIRED = (
    "an operator is required to execute a replay: a login name or Slack user id listed in replay.operators "
    "in recon.yaml"
)
REASON_REQUIRED = "a reason is required to execute a replay (--reason TEXT): say what was fixed and why it is replayed"


class ReplayLocked(ReconError):
    """The replay cannot start: a running replay holds units of its scope. `holders` names each one."""

    def __init__(self, message: str, holders: tuple[LockHolder, ...]):
        super().__init__(message)
        self.holders = holders


@dataclass(frozen=True)
class LockHolder:
    """A running replay holding some of the units another replay asked for."""

    replay_id: int
    kind: str
    operator: str
    since: datetime
    expires_at: datetime
    units: tuple[str, ...]  # the overlapping ones, sorted


@dataclass(frozen=True)
class ReplayRecord:
    """A replay as the store has it. `expires_at` is when its locks expire while it holds them, else None."""

    id: int
    idempotency_key: str
    kind: str
    scope: dict[str, Any]
    units: tuple[str, ...]
    operator: str
    reason: str
    status: str
    attempts: int
    diff: dict[str, Any]
    verification: dict[str, Any] | None
    started_at: datetime
    finished_at: datetime | None
    run_id: str | None
    expires_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON values (times ISO 8601 UTC), for `--json` output."""
        return jsonable(asdict(self))


@dataclass(frozen=True)
class ReplayStart:
    """What `start_replay` did: started `replay` (running, its locks held), or found `already` verified under the
    same idempotency key (nothing written; nothing to do)."""

    replay: ReplayRecord | None = None
    already: ReplayRecord | None = None

    @property
    def message(self) -> str:
        if self.already is not None:
            return f"already executed as replay {self.already.id}: nothing to do"
        replay = self.replay
        attempt = f" (attempt {replay.attempts})" if replay.attempts > 1 else ""
        return f"replay {replay.id} ({replay.kind}) started by {replay.operator}{attempt}"


def _when(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")


def _operator_name(operator: str | None) -> str:
    # As recon.yaml lists them: `@asha` and `asha` are the same person.
    return (operator or "").strip().lstrip("@")


def check_operator(operator: str | None, allowed: Iterable[str]) -> None:
    """Refuse an execute by anyone not in `replay.operators` (`allowed`: login names and Slack user ids).
    Dry-runs need no permission, so only an execute calls this."""
    name = _operator_name(operator)
    if not name:
        raise ReconError(OPERATOR_REQUIRED)
    allowed = tuple(allowed)
    if name in allowed:
        return
    if not allowed:
        raise ReconError(
            f"{name} may not execute replays: replay.operators in recon.yaml is empty, so nobody may; add {name} "
            "(a login name or Slack user id) there. Dry-runs need no permission."
        )
    raise ReconError(
        f"{name} may not execute replays: add {name} (a login name or Slack user id) to replay.operators in "
        "recon.yaml. Dry-runs need no permission."
    )


def _units(units: Iterable[str]) -> list[str]:
    found = set(units)
    if not found:
        raise ReconError("a replay needs at least one lock unit (warehouse, order:<id>, file:<sha256>, ...)")
    for unit in found:
        if not isinstance(unit, str) or not unit.strip() or len(unit) > MAX_UNIT:
            raise ReconError(f"lock unit {unit!r}: expected text of 1 to {MAX_UNIT} characters")
    return sorted(found)


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise ReconError(f"a replay's idempotency key has 1 to {MAX_KEY} characters, got {key!r}")
    return key


def diff_summary(diff: Mapping[str, Any]) -> dict[str, Any]:
    """The diff with every list replaced by its length (nested mappings alike): what the audit event keeps, with
    the full diff's sha256 (the full diff is in the replay's row)."""
    return {
        key: len(value) if isinstance(value, list) else diff_summary(value) if isinstance(value, dict) else value
        for key, value in diff.items()
    }


def _locks_of(session: Session, replay_ids: Sequence[int]) -> dict[int, datetime]:
    """When the locks of each replay holding any expire (all of a replay's locks are taken at once)."""
    expiry: dict[int, datetime] = {}
    for chunk in chunks(sorted(replay_ids)):
        rows = session.execute(
            select(ReplayLock.replay_id, ReplayLock.expires_at).where(ReplayLock.replay_id.in_(chunk))
        )
        for replay_id, expires_at in rows:
            expiry[replay_id] = max(expires_at, expiry.get(replay_id, expires_at))
    return expiry


def _record(replay: Replay, expires_at: datetime | None) -> ReplayRecord:
    return ReplayRecord(
        id=replay.id,
        idempotency_key=replay.idempotency_key,
        kind=replay.kind,
        scope=replay.scope,
        units=tuple(replay.units),
        operator=replay.operator,
        reason=replay.reason,
        status=replay.status,
        attempts=replay.attempts,
        diff=replay.diff,
        verification=replay.verification,
        started_at=replay.started_at,
        finished_at=replay.finished_at,
        run_id=replay.run_id,
        expires_at=expires_at,
    )


def _record_now(session: Session, replay: Replay) -> ReplayRecord:
    session.flush()
    return _record(replay, _locks_of(session, [replay.id]).get(replay.id))


def _get(session: Session, replay_id: int) -> Replay:
    replay = session.get(Replay, replay_id)
    if replay is None:
        raise ReconError(f"no replay with id {replay_id}")
    return replay


def _release(session: Session, replay_id: int) -> None:
    session.execute(delete(ReplayLock).where(ReplayLock.replay_id == replay_id))


def _finish(
    session: Session, replay: Replay, status: str, verification: dict[str, Any], now: datetime, run_id: str | None
) -> None:
    replay.status, replay.verification, replay.finished_at = status, verification, now
    if run_id is not None:
        replay.run_id = run_id
    _release(session, replay.id)
    append_audit(
        session,
        at=now,
        actor=REPLAYS_ACTOR,
        action=f"replay_{status}",
        details={
            "replay_id": replay.id,
            "kind": replay.kind,
            "attempt": replay.attempts,
            "run_id": replay.run_id,
            "verification": verification,
        },
    )


def _abandon(session: Session, replay: Replay, now: datetime, error: str) -> None:
    """A running replay whose locks expired: failed, so it cannot report success over what ran after it."""
    _finish(session, replay, "failed", {"passed": False, "error": f"abandoned: {error}"}, now, None)


def _holders(session: Session, locks: list[tuple[str, int, datetime, datetime]]) -> tuple[LockHolder, ...]:
    by_replay: dict[int, list[tuple[str, int, datetime, datetime]]] = {}
    for lock in locks:
        by_replay.setdefault(lock[1], []).append(lock)
    holders = []
    for replay_id, held in sorted(by_replay.items()):
        replay = _get(session, replay_id)
        holders.append(
            LockHolder(
                replay_id=replay_id,
                kind=replay.kind,
                operator=replay.operator,
                since=min(lock[2] for lock in held),
                expires_at=max(lock[3] for lock in held),
                units=tuple(sorted(lock[0] for lock in held)),
            )
        )
    return tuple(holders)


def _locked_message(holders: tuple[LockHolder, ...]) -> str:
    clauses = "; ".join(
        f"replay {h.replay_id} ({h.kind}, by {h.operator}) has held {', '.join(h.units)} since {_when(h.since)}"
        for h in holders
    )
    if len(holders) == 1:
        advice = (
            f"Wait for it to finish, then execute again; if it crashed, its locks expire at "
            f"{_when(holders[0].expires_at)} and the next execute takes them over."
        )
    else:
        expiries = ", ".join(f"{_when(h.expires_at)} (replay {h.replay_id})" for h in holders)
        advice = (
            f"Wait for them to finish, then execute again; if one crashed, its locks expire at {expiries} and the "
            "next execute takes them over."
        )
    return f"cannot start this replay: {clauses}. {advice}"


def start_replay(
    store: Store,
    *,
    idempotency_key: str,
    kind: str,
    scope: Mapping[str, Any],
    units: Iterable[str],
    operator: str,
    reason: str,
    diff: Mapping[str, Any],
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> ReplayStart:
    """Record the start of an execute and take its locks, in one transaction (nothing is written when refused).

    - A replay already `verified` under `idempotency_key`: returns `ReplayStart(already=...)`, writes nothing.
    - One `failed` under it is retried in the same row: `attempts` + 1, scope, units, operator, reason and diff
      those of this attempt, outcome cleared (the earlier attempts stay in the audit trail).
    - One `running` under it: `ReplayLocked` while it holds an unexpired lock; once its locks expired (it
      crashed) it is marked failed (abandoned) and retried as above.
    - Any unit held, unexpired, by another replay: `ReplayLocked` naming each holder, its overlapping units, since
      when, and when its locks expire. Expired locks are taken over, their holder marked failed (abandoned).

    Otherwise the replay is `running`, holds every unit until `now + ttl`, and is audited `replay_started` (actor
    `user:<operator>`, the reason, details: replay id, key, kind, attempt, scope, units, lock expiry, the diff's
    summary and sha256). The operator is not checked here: call `check_operator` first.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReconError(REASON_REQUIRED)
    operator = _operator_name(operator)
    if not operator:
        raise ReconError(OPERATOR_REQUIRED)
    if len(operator) > MAX_OPERATOR:
        raise ReconError(f"an operator's name has at most {MAX_OPERATOR} characters, got {len(operator)}")
    if kind not in REPLAY_KINDS:
        raise ReconError(f"unknown replay kind {kind!r}: use one of {', '.join(REPLAY_KINDS)}")
    if ttl <= timedelta(0):
        raise ValueError(f"a replay's lock time to live must be positive, got {ttl}")
    key, units = _check_key(idempotency_key), _units(units)
    scope, diff, now = jsonable(dict(scope)), jsonable(dict(diff)), as_utc(now)
    with store.transaction() as session:
        replay = session.scalar(select(Replay).where(Replay.idempotency_key == key))
        if replay is not None:
            if replay.kind != kind:
                raise ReconError(
                    f"idempotency key {key!r} belongs to replay {replay.id}, a {replay.kind} replay, not {kind}"
                )
            if replay.status == "verified":
                return ReplayStart(already=_record(replay, None))
            if replay.status == "running":
                # A running replay holds its locks until it finishes or is abandoned.
                expires_at = _locks_of(session, [replay.id])[replay.id]
                if expires_at > now:
                    raise ReplayLocked(
                        f"replay {replay.id} ({replay.kind}, by {replay.operator}) with this idempotency key has "
                        f"been running since {_when(replay.started_at)}: wait for it to finish; if it crashed, its "
                        f"locks expire at {_when(expires_at)} and the next execute restarts it.",
                        _holders(session, [(u, replay.id, replay.started_at, expires_at) for u in replay.units]),
                    )
                _abandon(
                    session,
                    replay,
                    now,
                    f"its locks expired at {_when(expires_at)} before it finished; restarted by a new execute",
                )
        held: list[tuple[str, int, datetime, datetime]] = []
        for chunk in chunks(units):
            held += session.execute(
                select(ReplayLock.unit, ReplayLock.replay_id, ReplayLock.acquired_at, ReplayLock.expires_at).where(
                    ReplayLock.unit.in_(chunk)
                )
            ).all()
        live = [lock for lock in held if lock[3] > now]
        if live:
            holders = _holders(session, live)
            raise ReplayLocked(_locked_message(holders), holders)
        if replay is None:
            replay = Replay(idempotency_key=key, kind=kind, attempts=0)
            session.add(replay)
        replay.scope, replay.units, replay.operator, replay.reason, replay.diff = scope, units, operator, reason, diff
        replay.status, replay.attempts, replay.started_at = "running", replay.attempts + 1, now
        replay.verification = replay.finished_at = replay.run_id = None
        session.flush()
        for holder in _holders(session, held):
            _abandon(
                session,
                _get(session, holder.replay_id),
                now,
                f"its locks expired at {_when(holder.expires_at)} before it finished; replay {replay.id} took over "
                f"{', '.join(holder.units)}",
            )
        expires_at = now + ttl
        session.execute(
            insert(ReplayLock),
            [{"unit": unit, "replay_id": replay.id, "acquired_at": now, "expires_at": expires_at} for unit in units],
        )
        append_audit(
            session,
            at=now,
            actor=f"user:{operator}",
            action="replay_started",
            reason=reason,
            details={
                "replay_id": replay.id,
                "idempotency_key": key,
                "kind": kind,
                "attempt": replay.attempts,
                "scope": scope,
                "units": units,
                "expires_at": expires_at,
                "diff": diff_summary(diff),
                "diff_sha256": hashlib.sha256(canonical_json(diff).encode("utf-8")).hexdigest(),
            },
        )
        return ReplayStart(replay=_record_now(session, replay))


def finish_replay(
    store: Store,
    replay_id: int,
    *,
    status: str,
    verification: Mapping[str, Any],
    now: datetime,
    run_id: str | None = None,
) -> ReplayRecord:
    """Record a running replay's outcome, `verified` or `failed`, release its locks, and audit it (`replay_verified`
    / `replay_failed`, actor `system:replays`, details: replay id, kind, attempt, run id, the verification).

    `verification` is what the suite found (`Verification.as_dict()`: `passed`, `results`), or for a replay that
    failed before it could be verified, e.g. `{"passed": False, "error": "..."}`. `verified` needs `passed` true.
    A replay no longer running (finished, or abandoned because its locks expired and were taken over) is refused.
    """
    if status not in FINISHED:
        raise ReconError(f"a replay finishes verified or failed, not {status!r}")
    verification = jsonable(dict(verification))
    if status == "verified" and verification.get("passed") is not True:
        raise ReconError(f"replay {replay_id} cannot be marked verified: its verification did not pass")
    now = as_utc(now)
    with store.transaction() as session:
        replay = _get(session, replay_id)
        if replay.status != "running":
            raise ReconError(
                f"replay {replay_id} is {replay.status}, not running: its outcome was recorded at "
                f"{_when(replay.finished_at)}; see its replay_{replay.status} audit event"
            )
        _finish(session, replay, status, verification, now, run_id)
        return _record_now(session, replay)


def note_replay(
    store: Store, replay_id: int, exception_ids: Iterable[int], summary: str, now: datetime
) -> tuple[OutboxMessage, ...]:
    """Queue, in the Slack thread of each exception the finished replay touched, a `thread_reply` saying what it did:
    payload `{"event": "replayed", "exception": <snapshot>, "replay": {id, kind, attempt, operator, reason, status,
    summary}}`, key `<fingerprint>:thread_reply:replay:<replay id>:<attempt>` (so noting twice queues nothing more,
    and a retried replay's outcome is posted too). Returns the messages queued now."""
    now = as_utc(now)
    with store.transaction() as session:
        replay = _get(session, replay_id)
        if replay.status not in FINISHED:
            raise ReconError(
                f"replay {replay_id} is still running: note it once finish_replay has recorded its outcome"
            )
        ids = sorted(set(exception_ids))
        exceptions = [get_exception(session, exception_id) for exception_id in ids]
        links = links_by_exception(session, ids)
        brief = {
            "id": replay.id,
            "kind": replay.kind,
            "attempt": replay.attempts,
            "operator": replay.operator,
            "reason": replay.reason,
            "status": replay.status,
            "summary": summary,
        }
        outbox = Outbox(session, now)
        for exception in exceptions:
            payload = {
                "event": "replayed",
                "exception": exception_snapshot(exception, links[exception.id]),
                "replay": brief,
            }
            outbox.queue(exception, "thread_reply", f"replay:{replay.id}:{replay.attempts}", payload)
        return outbox.write()


def get_replay(store: Store, replay_id: int) -> ReplayRecord:
    """One replay, or an error naming the id."""
    with store.session() as session:
        replay = _get(session, replay_id)
        return _record(replay, _locks_of(session, [replay_id]).get(replay_id))


def list_replays(
    store: Store, *, statuses: Iterable[str] | None = None, kind: str | None = None, limit: int | None = None
) -> list[ReplayRecord]:
    """Replays, newest first (`limit`: the latest that many)."""
    query = select(Replay).order_by(Replay.id.desc()).limit(limit)
    if statuses is not None:
        query = query.where(Replay.status.in_(list(statuses)))
    if kind is not None:
        query = query.where(Replay.kind == kind)
    with store.session() as session:
        replays = session.scalars(query).all()
        expiry = _locks_of(session, [replay.id for replay in replays])
        return [_record(replay, expiry.get(replay.id)) for replay in replays]
