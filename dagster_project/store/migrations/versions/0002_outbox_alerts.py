"""Pipeline alerts in the Slack outbox: `slack_outbox.exception_id` nullable, kind `alert`.

Batch mode, so SQLite (which cannot alter a column) copies the table; PostgreSQL alters it in place.
Downgrading deletes the queued alerts, since the older schema has no room for a message without an exception.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KIND = "ck_slack_outbox_kind"
KINDS_BEFORE = "kind in ('post_parent', 'thread_reply', 'update_parent', 'escalation')"
KINDS_AFTER = "kind in ('post_parent', 'thread_reply', 'update_parent', 'escalation', 'alert')"


def upgrade() -> None:
    with op.batch_alter_table("slack_outbox") as batch:
        batch.alter_column("exception_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint(op.f(KIND), type_="check")
        batch.create_check_constraint(op.f(KIND), KINDS_AFTER)


def downgrade() -> None:
    op.execute("delete from slack_outbox where kind = 'alert'")
    with op.batch_alter_table("slack_outbox") as batch:
        batch.drop_constraint(op.f(KIND), type_="check")
        batch.create_check_constraint(op.f(KIND), KINDS_BEFORE)
        batch.alter_column("exception_id", existing_type=sa.Integer(), nullable=False)
