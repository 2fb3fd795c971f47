"""Built-in connectors. Each lives in `builtin/<name>/` with the same shape:

    __init__.py    exports the connector class (what the entry point names)
    spec.py        SPEC, the JSON Schema of its configuration
    connector.py   the class: spec, check, discover, read

They are registered through the `headwater.connectors` entry-point group in pyproject.toml,
exactly as a plug-in would be.
"""
