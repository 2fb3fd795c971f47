"""Adapters implement the domain's ports. Only `headwater.bootstrap` wires them."""
