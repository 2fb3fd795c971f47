"""who chose where a stream, an account or a pipeline connects: the egress policy's admin
exemption follows that user, not whoever runs it

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("streams", "accounts", "pipelines"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("configured_by", sa.Integer(), nullable=True))
    # Until now whoever last changed a stream may have set its configuration; an account's and
    # a pipeline's were set by their owner or someone they shared it with: the owner stands in.
    op.execute("UPDATE streams SET configured_by = modified_by")
    op.execute("UPDATE accounts SET configured_by = owner_id")
    op.execute("UPDATE pipelines SET configured_by = owner_id")


def downgrade() -> None:
    for table in ("streams", "accounts", "pipelines"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("configured_by")
