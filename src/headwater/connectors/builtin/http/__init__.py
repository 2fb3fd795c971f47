"""The `http` connector: CSV, TSV, JSON, NDJSON or Parquet from an HTTP(S) URL, paginated."""

from headwater.connectors.builtin.http.connector import HttpConnector

__all__ = ["HttpConnector"]
