"""Replays: `replays` (one row per idempotency key: who, why, scope, the promised diff, the outcome) and
`replay_locks` (the units of scope a running replay holds, with an expiry for crashed ones).

Only new tables, so nothing needs SQLite's batch mode (which copies a table to alter it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "replays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("operator", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.CheckConstraint("kind in ('quarantine', 'orders', 'remap')", name=op.f("ck_replays_kind")),
        sa.CheckConstraint("status in ('running', 'verified', 'failed')", name=op.f("ck_replays_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replays")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_replays_idempotency_key")),
    )
    op.create_table(
        "replay_locks",
        sa.Column("unit", sa.String(255), nullable=False),
        sa.Column("replay_id", sa.Integer(), nullable=False),
        sa.Column("acquired_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["replay_id"], ["replays.id"], name=op.f("fk_replay_locks_replay_id_replays")),
        sa.PrimaryKeyConstraint("unit", name=op.f("pk_replay_locks")),
    )
    op.create_index(op.f("ix_replay_locks_replay_id"), "replay_locks", ["replay_id"])


def downgrade() -> None:
    op.drop_table("replay_locks")
    op.drop_table("replays")
