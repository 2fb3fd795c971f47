"""quality checks: a dataset's checks and on-failure policy; each execution's check report

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_checks",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("on_failure", sa.String(length=16), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("quarantine_dataset_id", sa.String(length=36), nullable=True),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.Column("modified_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_checks_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_dataset_checks")),
    )
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("check_report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("check_report")
    op.drop_table("dataset_checks")
