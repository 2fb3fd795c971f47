"""The `sftp` connector: CSV, TSV, JSON, NDJSON and Parquet files from an SFTP server."""

from headwater.connectors.builtin.sftp.connector import SftpConnector

__all__ = ["SftpConnector"]
