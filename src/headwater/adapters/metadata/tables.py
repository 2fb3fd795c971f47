"""The metadata tables. Changing one needs a migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so store naive UTC)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("role", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # Every authenticated request looks up its user's groups: the key leads with group_id.
    sa.Index("ix_group_members_user_id", "user_id"),
)

access_tokens = sa.Table(
    "access_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("owner_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("columns", sa.JSON, nullable=True),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("stream_id", sa.Integer, nullable=True),
    sa.Column("data_version", sa.Integer, nullable=True),
    sa.Column("row_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
)

dataset_grants = sa.Table(
    "dataset_grants",
    metadata,
    sa.Column("dataset_id", sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("principal_type", sa.String(8), primary_key=True),
    sa.Column("principal_id", sa.Integer, primary_key=True),
    sa.Column("level", sa.String(16), nullable=False),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("data_provider_type", sa.String(128), nullable=False),
    sa.Column("owner_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    # The whole configuration, encrypted: secrets never rest in plain text.
    sa.Column("configuration_sealed", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("modified_at", UTCDateTime, nullable=False),
    # Who last set the configuration: the egress policy's admin exemption follows them.
    sa.Column("configured_by", sa.Integer, nullable=True),
)

account_grants = sa.Table(
    "account_grants",
    metadata,
    sa.Column("account_id", sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("principal_type", sa.String(8), primary_key=True),
    sa.Column("principal_id", sa.Integer, primary_key=True),
    sa.Column("level", sa.String(16), nullable=False),
)

streams = sa.Table(
    "streams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "dataset_id", sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False, unique=True
    ),
    sa.Column("owner_id", sa.ForeignKey("users.id"), nullable=False),
    sa.Column("transport_type", sa.String(64), nullable=False),
    sa.Column("transport_version", sa.String(32), nullable=False),
    sa.Column("transport_description", sa.String(255), nullable=False),
    sa.Column("data_provider_key", sa.String(128), nullable=False),
    sa.Column("account_id", sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True),
    sa.Column("configuration", sa.JSON, nullable=False),
    sa.Column("update_method", sa.String(16), nullable=False),
    sa.Column("key_columns", sa.JSON, nullable=False),
    sa.Column("schedule", sa.JSON, nullable=True),
    sa.Column("advanced_schedule_json", sa.Text, nullable=True),
    sa.Column("schedule_active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("modified_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Integer, nullable=False),
    sa.Column("modified_by", sa.Integer, nullable=False),
    # Who last set the account or configuration: the egress policy's admin exemption follows them.
    sa.Column("configured_by", sa.Integer, nullable=True),
    # The scheduler's own state: the next tick to claim, and a failed run waiting to retry.
    sa.Column("next_run_at", UTCDateTime, nullable=True, index=True),
    sa.Column("retry_policy", sa.JSON, nullable=True),
    sa.Column("retry_due_at", UTCDateTime, nullable=True, index=True),
    sa.Column("retry_of", sa.Integer, nullable=True),
    # EVOLVE, STRICT or IGNORE_NEW (`domain.schema_policy`); NULL: the default, EVOLVE.
    sa.Column("schema_policy", sa.String(16), nullable=True),
)

executions = sa.Table(
    "executions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stream_id", sa.ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    sa.Column("dataset_id", sa.String(36), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("phase", sa.String(16), nullable=False),
    sa.Column("run_type", sa.String(16), nullable=False),
    sa.Column("update_method", sa.String(16), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("started_by", sa.Integer, nullable=False),
    sa.Column("cancelled_by", sa.Integer, nullable=True),
    sa.Column("toe", sa.String(32), nullable=False),
    sa.Column("rows_inserted", sa.BigInteger, nullable=False),
    sa.Column("bytes_inserted", sa.BigInteger, nullable=False),
    sa.Column("retry_count", sa.Integer, nullable=False),
    sa.Column("retry_execution", sa.Integer, nullable=True),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("data_version", sa.Integer, nullable=True),
    sa.Column("peak_memory_bytes", sa.BigInteger, nullable=True),
    sa.Column("upload_id", sa.Integer, nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
    sa.Column("runner_id", sa.String(36), nullable=True),
    # What the dataset's quality checks found (`domain.checks.CheckReport`), if it has any.
    sa.Column("check_report", sa.JSON, nullable=True),
    # What the run wants its reader to know without failing (a file read again from its start).
    sa.Column("warnings", sa.JSON, nullable=True),
    # What the schema policy did to the dataset's columns (`domain.schema_policy.SchemaChanges`).
    sa.Column("schema_changes", sa.JSON, nullable=True),
    sa.Index("ix_executions_stream_id_id", "stream_id", "id"),
    # One retry per failed execution, whichever server process claims it.
    sa.Index("uq_executions_retry_execution", "retry_execution", unique=True),
    # The database itself keeps "at most one ACTIVE execution per stream", whatever races.
    sa.Index(
        "uq_executions_one_active_per_stream",
        "stream_id",
        unique=True,
        sqlite_where=sa.text("state = 'ACTIVE'"),
        postgresql_where=sa.text("state = 'ACTIVE'"),
    ),
)

execution_parts = sa.Table(
    "execution_parts",
    metadata,
    sa.Column("execution_id", sa.ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("part_id", sa.Integer, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
)

schedule_ticks = sa.Table(
    "schedule_ticks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stream_id", sa.ForeignKey("streams.id", ondelete="CASCADE"), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(36), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("execution_id", sa.Integer, nullable=True),
    sa.Column("catch_up", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    # The idempotency key: a tick is claimed once, however many servers race for it.
    sa.UniqueConstraint("stream_id", "due_at", name="uq_schedule_ticks_stream_id_due_at"),
)

runners = sa.Table(
    "runners",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("heartbeat_at", UTCDateTime, nullable=False),
)

# -- the public API: OAuth clients and PDP policies ---------------------------------------
oauth_clients = sa.Table(
    "oauth_clients",
    metadata,
    sa.Column("client_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

pdp_policies = sa.Table(
    "pdp_policies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "dataset_id", sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    # [{column, operator, values, not}]: read and written whole with the policy.
    sa.Column("filters", sa.JSON, nullable=False),
    sa.Column("user_ids", sa.JSON, nullable=False),
    sa.Column("group_ids", sa.JSON, nullable=False),
    sa.Column("virtual_user_ids", sa.JSON, nullable=False),
)

dataset_checks = sa.Table(
    "dataset_checks",
    metadata,
    sa.Column("dataset_id", sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("on_failure", sa.String(16), nullable=False),
    # [{name, type, column(s), values, min, max, pattern, maxAgeHours}]: read and written whole.
    sa.Column("checks", sa.JSON, nullable=False),
    # Made on the first load that quarantines rows; a dataset of its own (no foreign key: it
    # may be deleted apart from this one, and is then made again when next needed).
    sa.Column("quarantine_dataset_id", sa.String(36), nullable=True),
    sa.Column("modified_at", UTCDateTime, nullable=False),
    sa.Column("modified_by", sa.Integer, nullable=True),
)

# The committed position of each stream (tag `headwater.stream`) and pipeline connector
# (`headwater.connector`) on a dataset, with the Delta version that holds it: a copy of what
# that commit's metadata says, read in O(1) when a run starts
# (`services/datasets/positions.py`). The Delta log stays the truth: a row it contradicts is
# rebuilt from it.
positions = sa.Table(
    "positions",
    metadata,
    sa.Column("dataset_id", sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(255), primary_key=True),
    sa.Column("position", sa.JSON, nullable=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

pipelines = sa.Table(
    "pipelines",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("owner_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("program_code", sa.Text, nullable=False),
    # The parsed program (tables, columns, connectors, views) and table -> dataset id.
    sa.Column("program", sa.JSON, nullable=False),
    sa.Column("table_datasets", sa.JSON, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("runtime_config", sa.JSON, nullable=False),
    sa.Column("program_config", sa.JSON, nullable=False),
    sa.Column("desired_status", sa.String(16), nullable=False),
    sa.Column("runtime_status", sa.String(16), nullable=False),
    # Which `headwater serve` process runs the connectors, until when (renewed while it does).
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_expires_at", UTCDateTime, nullable=True),
    sa.Column("incarnation", sa.String(36), nullable=True),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("storage_status", sa.String(16), nullable=False),
    sa.Column("deployment_error", sa.JSON, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Who last set the program (its connectors' configuration): see streams.configured_by.
    sa.Column("configured_by", sa.Integer, nullable=True),
    # What the last program change did to the tables' datasets (evolved, new dataset).
    sa.Column("schema_changes", sa.JSON, nullable=True),
)

pipeline_connectors = sa.Table(
    "pipeline_connectors",
    metadata,
    sa.Column("pipeline_id", sa.ForeignKey("pipelines.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("table_name", sa.String(255), primary_key=True),
    sa.Column("connector_name", sa.String(255), primary_key=True),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("waiting", sa.Boolean, nullable=False),
    sa.Column("end_of_input", sa.Boolean, nullable=False),
    sa.Column("stats", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
