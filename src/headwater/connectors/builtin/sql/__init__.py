"""The `sql` connector: tables and queries from PostgreSQL, MySQL/MariaDB and SQLite."""

from headwater.connectors.builtin.sql.connector import SqlConnector

__all__ = ["SqlConnector"]
