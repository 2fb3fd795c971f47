"""scheduler state on streams, schedule ticks, runners, execution attempts and owners

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_run_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("retry_policy", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("retry_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_streams_next_run_at"), ["next_run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_retry_due_at"), ["retry_due_at"], unique=False)
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("runner_id", sa.String(length=36), nullable=True))
        batch_op.create_index("uq_executions_retry_execution", ["retry_execution"], unique=True)
    op.create_table(
        "schedule_ticks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("execution_id", sa.Integer(), nullable=True),
        sa.Column("catch_up", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["streams.id"],
            name=op.f("fk_schedule_ticks_stream_id_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_ticks")),
        sa.UniqueConstraint("stream_id", "due_at", name="uq_schedule_ticks_stream_id_due_at"),
    )
    op.create_table(
        "runners",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runners")),
    )


def downgrade() -> None:
    op.drop_table("runners")
    op.drop_table("schedule_ticks")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("uq_executions_retry_execution")
        batch_op.drop_column("runner_id")
        batch_op.drop_column("attempt")
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_streams_retry_due_at"))
        batch_op.drop_index(batch_op.f("ix_streams_next_run_at"))
        batch_op.drop_column("retry_of")
        batch_op.drop_column("retry_due_at")
        batch_op.drop_column("retry_policy")
        batch_op.drop_column("next_run_at")
