"""What was wrong with a request, in words a person can act on; shared by every dialect's
error table (`api.errors`, `api.feldera.errors`), which put it in their own envelope.

A field is named by its path in the request, as a client would write it to reach it:
`schema.columns[0].type`, not FastAPI's location tuple. A body that is not JSON is named
`body`, and the message says where it broke: line, column and character.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.exceptions import RequestValidationError

# Where FastAPI says a field was; the field's own path is what a person needs.
LOCATIONS = {"body", "query", "path", "header", "cookie"}


def field_name(path: tuple[Any, ...] | list[Any]) -> str:
    """`("schema", "columns", 0, "type")` → `schema.columns[0].type`."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def json_problem(error: json.JSONDecodeError) -> str:
    return (
        f"the body is not valid JSON: {error.msg} at line {error.lineno}, column "
        f"{error.colno} (character {error.pos + 1})"
    )


# How pydantic labels the members of a union in an error's location (`int`, `list[str]`,
# `AccessChange`): a label, not a field the client sent. Field names here are camelCase.
UNION_MEMBER = re.compile(r"^(int|str|float|bool|bytes|none|[A-Z]\w*|[\w-]+\[.*\])$")


def validation_problems(exc: RequestValidationError) -> list[dict[str, str]]:
    """One `{field, problem}` per field FastAPI found wrong, the most specific first: when a
    body may take several shapes (a list or an object), the problem inside the shape the
    client sent comes before "not a list"."""
    found: dict[str, dict[str, str]] = {}
    depth: dict[str, int] = {}
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            found["body"] = {"field": "body", "problem": _json_words(error, exc.body)}
            depth["body"] = 0
            continue
        location = list(error.get("loc", ()))
        if location and location[0] in LOCATIONS:
            location = location[1:]
        path = [p for p in location if not (isinstance(p, str) and UNION_MEMBER.match(p))]
        name = field_name(path)
        if name not in found:
            found[name] = {"field": name, "problem": error.get("msg", "invalid")}
            depth[name] = len(path)
    ordered = sorted(found.values(), key=lambda p: -depth[p["field"]])
    return ordered or [{"field": "", "problem": "invalid request"}]


def _json_words(error: dict[str, Any], document: Any) -> str:
    """FastAPI keeps the decoder's message and position; say them as the decoder would."""
    location = error.get("loc", ())
    position = location[-1] if location and isinstance(location[-1], int) else 0
    message = str((error.get("ctx") or {}).get("error") or "invalid JSON")
    text = document if isinstance(document, str) else ""
    return json_problem(json.JSONDecodeError(message, text, min(position, len(text))))


def message_of(problems: list[dict[str, str]]) -> str:
    first = problems[0]
    if first["field"] and not first["problem"].startswith("the body"):
        return f"{first['field']}: {first['problem']}"
    return first["problem"]
