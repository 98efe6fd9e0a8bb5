"""Delivery claims on the Slack outbox: `claimed_by`, `claimed_until`.

A delivery pass claims the messages it is about to send (a lease), so two passes at once (a run's `exceptions`
asset and a sensor tick, two Slack-app clicks) never send the same message twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
