"""`transport.config` of `url_input` (Feldera's shape: the URL is `path`; `url` is accepted
too). Feldera's other fields (`pause_timeout`) are accepted and not used."""

from typing import Any

_URL = {"type": "string", "pattern": "^https?://", "description": "an http:// or https:// URL"}

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "The body of an HTTP(S) GET, read line by line as it streams",
    "type": "object",
    "properties": {"path": _URL, "url": {**_URL, "description": "the same as path"}},
}
