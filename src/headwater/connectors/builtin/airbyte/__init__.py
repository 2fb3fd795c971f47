"""The `airbyte` connector: any Python Airbyte source from PyPI, through the Airbyte protocol."""

from headwater.connectors.builtin.airbyte.connector import AirbyteConnector

__all__ = ["AirbyteConnector"]
