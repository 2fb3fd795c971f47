"""Feldera-style pipelines: programs, their tables, ingress, ad-hoc queries, connector runs and
their commits."""
