"""HTTP: one FastAPI app; each API dialect is its own thin router package."""
