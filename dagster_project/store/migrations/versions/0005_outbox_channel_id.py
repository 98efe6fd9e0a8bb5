"""The Slack channel id of a sent outbox message: `slack_outbox.channel_id`.

`channel` may be a name (`#logistics-ops`), but a permalink to a message needs the channel's id, which Slack
returns when it accepts the message. Nullable: rows sent before this migration, and messages not sent yet, have
none. One added column, so SQLite's batch mode adds it in place (no table copy).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_outbox") as batch:
        batch.add_column(sa.Column("channel_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_outbox") as batch:
        batch.drop_column("channel_id")
