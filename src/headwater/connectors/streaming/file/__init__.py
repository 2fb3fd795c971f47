"""`file_input`: see `source.py` (the source) and `spec.py` (its `transport.config`)."""

from headwater.connectors.streaming.file.source import FileSource

__all__ = ["FileSource"]
