"""Dataset data: Delta Lake tables on disk, staged parts, and the DuckDB query sandbox."""
