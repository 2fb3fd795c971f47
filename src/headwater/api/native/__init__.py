"""Headwater's own paths: health."""
