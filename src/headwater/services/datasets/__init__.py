"""Datasets and their tables: metadata, access, row policies, queries, quality checks, and
the one way data enters a table."""
