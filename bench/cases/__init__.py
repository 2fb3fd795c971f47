"""One module per benchmark case; each returns rows for the results table."""
