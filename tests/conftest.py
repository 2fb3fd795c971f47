"""Shared fixtures. Every test that needs the service runs twice: on SQLite and on PostgreSQL.

PostgreSQL is the local server (override with HEADWATER_TEST_POSTGRES_URL); each test gets a
schema of its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from headwater.adapters.metadata.database import create_metadata_engine, migrate
from headwater.bootstrap import Runtime, build_runtime
from headwater.settings import QuerySettings, Settings

POSTGRES_URL = os.environ.get(
    "HEADWATER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN_TOKEN = "hw_test-admin-token"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None  # the embedded default: a SQLite file in the data dir
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield _in_schema(schema)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        query=QuerySettings(timeout_seconds=2, max_rows=10_000),
        connector_retry_delay_seconds=0.05,
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite metadata database migrated once per test process. A runtime on SQLite starts
    from a copy of it: a fresh migration costs about 0.3 s a test, the copy about 1 ms. The
    migrations still run from nothing on every PostgreSQL schema and in every e2e server."""
    path = tmp_path_factory.mktemp("migrated") / "headwater.db"
    engine = create_metadata_engine(f"sqlite:///{path}", 1)
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[Callable[[str], None]]:
    """The same for PostgreSQL: a schema migrated once per test process and dumped as SQL
    (`pg_dump`), which makes another test's empty schema the same in about 0.2 s instead of
    a migration's 0.7. Without `pg_dump`, each schema is migrated as the server would."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    dumped: list[str] = []

    def fill(schema: str) -> None:
        if shutil.which("pg_dump") is None:
            return  # the runtime migrates it
        if not dumped:
            dumped.append(_dump_migrated_schema(admin))
        with admin.connect() as connection:
            connection.exec_driver_sql(dumped[0].replace(TEMPLATE_MARK, schema))

    yield fill
    admin.dispose()


TEMPLATE_MARK = "headwater_template_schema"


def _dump_migrated_schema(admin: sa.Engine) -> str:
    """A migrated schema's tables, indexes and rows as SQL, its name replaced by a mark."""
    schema = f"tpl_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = create_metadata_engine(_in_schema(schema), 1)
        migrate(engine)
        engine.dispose()
        url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql")
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--schema", schema, str(url)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    # psql's meta-commands (\restrict) are no SQL; the test's schema exists already.
    lines = [
        line
        for line in dump.splitlines()
        if not line.startswith("\\") and not line.startswith("CREATE SCHEMA")
    ]
    return "\n".join(lines).replace(schema, TEMPLATE_MARK)


def _in_schema(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def runtime(
    settings: Settings,
    database_url: str | None,
    migrated_sqlite: Path,
    migrated_postgres: Callable[[str], None],
) -> Iterator[Runtime]:
    if database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with (
            closing(sqlite3.connect(migrated_sqlite)) as source,
            closing(sqlite3.connect(settings.data_dir / "headwater.db")) as copy,
        ):
            source.backup(copy)
    else:
        migrated_postgres(database_url.rsplit("search_path%3D", 1)[1])
    runtime = build_runtime(settings)
    runtime.services.identity.auth.ensure_admin(settings.admin_token)
    yield runtime
    runtime.close()
