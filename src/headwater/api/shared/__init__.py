"""What the Domo dialects (`api.domo`, the product API, and `api.domo_public`, the public API
pydomo speaks) have in common: paging, stream bodies, a dataset schema's columns, a query's
request and values, check results, JSON bodies that may be empty. Each dialect keeps its own
wire module; neither imports the other (an import-linter contract)."""
