"""Headwater: self-hosted data ingestion behind Domo- and Feldera-compatible HTTP APIs."""

__version__ = "0.1.0"
