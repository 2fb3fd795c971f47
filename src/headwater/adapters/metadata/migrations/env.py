"""Alembic environment: runs on the connection `database.migrate` hands over."""

from alembic import context

from headwater.adapters.metadata.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run from the alembic CLI
    raise RuntimeError("run migrations through headwater.adapters.metadata.database.migrate")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
