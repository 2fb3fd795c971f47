"""The `file` connector: CSV, TSV, JSON, NDJSON and Parquet files from allowed directories."""

from headwater.connectors.builtin.file.connector import FileConnector

__all__ = ["FileConnector"]
