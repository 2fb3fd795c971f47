"""The migrations build exactly the schema `tables.py` declares, on SQLite and PostgreSQL:
a table or column added to one and not the other fails here, not on a user's upgrade."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from headwater.adapters.metadata.database import create_metadata_engine, migrate
from headwater.adapters.metadata.tables import metadata
from headwater.settings import Settings


def test_migrations_match_the_declared_tables(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_metadata_engine(settings.metadata_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = [d for d in compare_metadata(context, metadata) if not _alembic_own(d)]
    finally:
        engine.dispose()
    assert differences == []


def _alembic_own(difference: object) -> bool:
    """Alembic's version table is not ours to declare."""
    return (
        isinstance(difference, tuple)
        and len(difference) > 1
        and isinstance(difference[1], sa.Table)
        and difference[1].name == "alembic_version"
    )
