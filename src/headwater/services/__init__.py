"""Use cases. Each owns its transaction and knows nothing of HTTP."""
