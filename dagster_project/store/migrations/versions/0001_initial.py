"""Exceptions, their divergences, the audit trail and the Slack outbox.

Revision ID: 0001
Revises:
Create Date: 2026-03-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("cluster_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("classification", sa.String(32), nullable=True),
        sa.Column("owner_team", sa.String(64), nullable=False),
        sa.Column("carrier", sa.String(64), nullable=True),
        sa.Column("zone", sa.String(64), nullable=True),
        sa.Column("payment_mode", sa.String(64), nullable=True),
        sa.Column("system", sa.String(64), nullable=True),
        sa.Column("bucket_grain", sa.String(16), nullable=True),
        sa.Column("bucket_start", TIME, nullable=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("sla_due_at", TIME, nullable=False),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        sa.Column("escalated_at", TIME, nullable=True),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(255), nullable=True),
        sa.Column("assignee", sa.String(255), nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state in ('open', 'acknowledged', 'assigned', 'resolved', 'auto_resolved', 'ignored_with_reason')",
            name=op.f("ck_exceptions_state"),
        ),
        sa.CheckConstraint("severity in ('high', 'medium', 'low')", name=op.f("ck_exceptions_severity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exceptions")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_exceptions_fingerprint")),
    )
    op.create_index(op.f("ix_exceptions_cluster_id"), "exceptions", ["cluster_id"])
    op.create_index(op.f("ix_exceptions_state_sla_due_at"), "exceptions", ["state", "sla_due_at"])

    op.create_table(
        "exception_divergences",
        sa.Column("exception_id", sa.Integer(), nullable=False),
        sa.Column("divergence_id", sa.String(255), nullable=False),
        sa.Column("cluster_id", sa.String(255), nullable=False),
        sa.Column("order_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("exposure_amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.Column("divergence_start", TIME, nullable=True),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("first_seen_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("vanished_at", TIME, nullable=True),
        sa.CheckConstraint("status in ('open', 'resolved')", name=op.f("ck_exception_divergences_status")),
        sa.ForeignKeyConstraint(
            ["exception_id"], ["exceptions.id"], name=op.f("fk_exception_divergences_exception_id_exceptions")
        ),
        sa.PrimaryKeyConstraint("exception_id", "divergence_id", name=op.f("pk_exception_divergences")),
    )
    op.create_index(op.f("ix_exception_divergences_divergence_id"), "exception_divergences", ["divergence_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["exception_id"], ["exceptions.id"], name=op.f("fk_audit_events_exception_id_exceptions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    op.create_index(op.f("ix_audit_events_exception_id"), "audit_events", ["exception_id"])

    op.create_table(
        "slack_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_ts", sa.String(64), nullable=True),
        sa.Column("thread_ts", sa.String(64), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.CheckConstraint(
            "kind in ('post_parent', 'thread_reply', 'update_parent', 'escalation')", name=op.f("ck_slack_outbox_kind")
        ),
        sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name=op.f("ck_slack_outbox_status")),
        sa.ForeignKeyConstraint(
            ["exception_id"], ["exceptions.id"], name=op.f("fk_slack_outbox_exception_id_exceptions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_slack_outbox_idempotency_key")),
    )
    op.create_index(op.f("ix_slack_outbox_exception_id"), "slack_outbox", ["exception_id"])
    op.create_index(op.f("ix_slack_outbox_status_id"), "slack_outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_table("slack_outbox")
    op.drop_table("audit_events")
    op.drop_table("exception_divergences")
    op.drop_table("exceptions")
