"""Background machinery: the executor of connector runs (and, later, the scheduler)."""
