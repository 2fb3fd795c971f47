"""Ports: what the services need from the outside world, implemented by `headwater.adapters`,
one module per area (identity, datasets, storage, engines, ingest, pipelines) and the unit of
work over them all."""
