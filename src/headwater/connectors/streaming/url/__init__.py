"""`url_input`: see `source.py` (the source) and `spec.py` (its `transport.config`)."""

from headwater.connectors.streaming.url.source import UrlSource

__all__ = ["UrlSource"]
