"""Metadata in SQL: SQLite by default, PostgreSQL by URL; schema by Alembic migrations."""
