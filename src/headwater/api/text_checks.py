"""Text at the edge: every string of a request (path and query parameters, every value and key
of a JSON body) is checked once, here, before any route sees it.

- A NUL character is refused everywhere: PostgreSQL cannot store one in text (a 500 before
  this check), and no name, SQL text or setting needs one. SQLite behaves the same, so a
  request means the same thing on either database. So is a lone surrogate (`"\\ud800"` in
  JSON): valid JSON, but no character, and nothing after the decoder can encode it.
- A string longer than its field allows is refused, naming the field. Names are at most
  `name_chars` (the 255-wide columns that store them), descriptions `description_chars`, any
  other text `text_chars`; a few fields have the fixed width of the column that stores them.

Numbers in a JSON body must be finite: Python's decoder reads `1e400`, `Infinity` and `NaN`,
which JSON has not and PostgreSQL refuses to store.

Each is a 400 with the path of the field (`dataSource.schema.columns[2].name`). Bodies a route
reads by hand go through `check_json` / `check_fields` too; data bodies (CSV parts, ingress
records) are data, not fields, and are not walked.
"""

from __future__ import annotations

import email.message
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fastapi import Request

from headwater.api.request_errors import field_name
from headwater.domain.errors import InvalidInput

# Field → the limit that applies: a tier of `TextLimits` or a fixed width. A field is matched
# by its last two keys (`transport.version`) first, then by its last key (`name`); `tags[]`
# is an element of a list `tags`. Any other field is text.
TIERS: dict[str, str | int] = {
    "name": "name",
    "displayName": "name",
    "dataSourceName": "name",
    "email": "name",
    "tags[]": "name",
    "description": "description",
    # streams: the columns storing these are narrower than a name
    "transport.type": 64,
    "transport.version": 32,
    "transport.description": "name",
    "dataProvider.key": 128,
    "dataProviderType": 128,
}


@dataclass(frozen=True)
class TextLimits:
    name_chars: int = 255
    description_chars: int = 64 * 1024
    text_chars: int = 1024 * 1024

    @cached_property
    def shortest(self) -> int:
        """No field's limit is below this: a string this short needs no look-up."""
        widths = [w for w in TIERS.values() if isinstance(w, int)]
        return min(self.name_chars, self.description_chars, self.text_chars, *widths)

    def limit_of(self, path: tuple[str | int, ...]) -> int:
        keys = [p for p in path if isinstance(p, str)]
        if path and isinstance(path[-1], int) and keys:
            keys[-1] += "[]"
        tier = TIERS.get(".".join(keys[-2:])) if len(keys) > 1 else None
        if tier is None and keys:
            tier = TIERS.get(keys[-1])
        if tier is None:
            return self.text_chars
        if isinstance(tier, int):
            return min(tier, self.text_chars)
        return self.name_chars if tier == "name" else self.description_chars


def _check_text(value: str, path: tuple[str | int, ...], limits: TextLimits) -> None:
    if "\x00" in value:
        field = _shown(path)
        raise InvalidInput(f"{field} contains a NUL character (\\u0000)", field=field)
    if not _encodable(value):
        field = _shown(path)
        raise InvalidInput(
            f"{field} contains a lone surrogate (\\ud800-\\udfff), which is no character",
            field=field,
        )
    if len(value) <= limits.shortest:
        return
    limit = limits.limit_of(path)
    if len(value) > limit:
        field = _shown(path)
        raise InvalidInput(
            f"{field} is {len(value)} characters long; at most {limit} are allowed", field=field
        )


def _encodable(value: str) -> bool:
    """JSON's `"\\ud800"` decodes to a string no UTF-8 can hold: the database, DuckDB and every
    encoder after it fail on it (500s, and once an account stored half-written)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_key(key: str, parent: tuple[str | int, ...], limits: TextLimits) -> None:
    if "\x00" in key or not _encodable(key) or len(key) > limits.text_chars:
        field = _shown(parent)
        raise InvalidInput(
            f"a key in {field} holds a NUL character or a lone surrogate, or is longer than "
            f"{limits.text_chars} characters",
            field=field,
        )


def _shown(path: tuple[str | int, ...]) -> str:
    """The field's name, short enough to quote: a client's own keys make up part of it."""
    name = field_name(path) or "body"
    return name if len(name) <= 200 else name[:197] + "..."


def check_json(value: Any, limits: TextLimits, root: tuple[str | int, ...] = ()) -> None:
    """Every string and key of a decoded JSON value, in the order they were sent (breadth
    first). Iterative: a body nested as deep as the JSON decoder allows does not exhaust the
    stack here."""
    pending: deque[tuple[tuple[str | int, ...], Any]] = deque([(root, value)])
    while pending:
        path, item = pending.popleft()
        if isinstance(item, str):
            _check_text(item, path, limits)
        elif isinstance(item, float) and not math.isfinite(item):
            field = _shown(path)
            raise InvalidInput(
                f"{field} is not a finite number (JSON has no Infinity or NaN)", field=field
            )
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_key(key, path, limits)
                pending.append(((*path, key), child))
        elif isinstance(item, list):
            pending.extend(((*path, index), child) for index, child in enumerate(item))


def check_fields(fields: Iterable[tuple[str, str]], limits: TextLimits) -> None:
    """Named text values: path and query parameters, form fields."""
    for name, value in fields:
        _check_text(value, (name,), limits)


def limits_of(request: Request) -> TextLimits:
    found = getattr(request.app.state, "text_limits", None)
    return found if isinstance(found, TextLimits) else TextLimits()


async def checked_text(request: Request) -> None:
    """A dependency of every route: its parameters, and its JSON body once FastAPI decoded it
    (the decoded body is cached on the request; a streamed data body is never read here)."""
    limits = limits_of(request)
    check_fields(request.path_params.items(), limits)
    check_fields(request.query_params.multi_items(), limits)
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is not None and _is_json(request):
        body = await request.body()  # already read by FastAPI: this is its cached copy
        if body:
            check_json(await request.json(), limits)


def _is_json(request: Request) -> bool:
    """The same test FastAPI applies before it decodes a body as JSON."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
