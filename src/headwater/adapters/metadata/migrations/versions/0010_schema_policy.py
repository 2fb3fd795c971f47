"""schema policy: each stream's schemaPolicy; what it did, on each execution

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("streams") as batch:
        batch.add_column(sa.Column("schema_policy", sa.String(length=16), nullable=True))
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("schema_changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("schema_changes")
    with op.batch_alter_table("streams") as batch:
        batch.drop_column("schema_policy")
