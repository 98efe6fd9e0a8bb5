"""The operational store: exceptions (one per action cluster), their divergences, the hash-chained audit
trail, the Slack outbox (exception messages and pipeline alerts) and replays (their locks and outcomes). SQLite in
the home by default, PostgreSQL by URL; schema by Alembic migrations. See docs/store.md."""

from dagster_project.store.actions import acknowledge, assign, ignore, resolve
from dagster_project.store.alerts import queue_alert
from dagster_project.store.audit import AuditProblem, audit_trail, record_audit, verify_audit
from dagster_project.store.engine import store_url
from dagster_project.store.escalation import Escalation, EscalationResult, escalate_due
from dagster_project.store.file_exceptions import FileSyncResult, file_fingerprint, sync_quarantined_files
from dagster_project.store.fingerprint import cluster_fingerprint
from dagster_project.store.migrate import upgrade
from dagster_project.store.outbox import OutboxMessage, mark_failed, mark_sent, pending_messages
from dagster_project.store.queries import list_exceptions, show_exception
from dagster_project.store.replays import (
    LockHolder,
    ReplayLocked,
    ReplayRecord,
    ReplayStart,
    check_operator,
    finish_replay,
    get_replay,
    list_replays,
    note_replay,
    start_replay,
)
from dagster_project.store.states import TransitionError
from dagster_project.store.store import Store, open_store
from dagster_project.store.sync import SyncResult, sync_exceptions

__all__ = [
    "AuditProblem",
    "Escalation",
    "EscalationResult",
    "FileSyncResult",
    "LockHolder",
    "OutboxMessage",
    "ReplayLocked",
    "ReplayRecord",
    "ReplayStart",
    "Store",
    "SyncResult",
    "TransitionError",
    "acknowledge",
    "assign",
    "audit_trail",
    "check_operator",
    "cluster_fingerprint",
    "escalate_due",
    "file_fingerprint",
    "finish_replay",
    "get_replay",
    "ignore",
    "list_exceptions",
    "list_replays",
    "mark_failed",
    "mark_sent",
    "note_replay",
    "open_store",
    "pending_messages",
    "queue_alert",
    "record_audit",
    "resolve",
    "show_exception",
    "start_replay",
    "store_url",
    "sync_exceptions",
    "sync_quarantined_files",
    "upgrade",
    "verify_audit",
]
