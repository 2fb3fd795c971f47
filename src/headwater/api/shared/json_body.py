"""JSON bodies as Domo clients send them: an object, or nothing at all."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from headwater.api.request_errors import json_problem
from headwater.api.text_checks import check_json, limits_of
from headwater.domain.errors import InvalidInput


async def json_or_empty(request: Request) -> dict[str, Any]:
    """Clients send {}, a JSON body, or nothing at all (with or without a Content-Type)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(json_problem(exc), field="body") from None
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text", field="body") from None
    except RecursionError:
        raise InvalidInput("the body is nested too deeply", field="body") from None
    check_json(body, limits_of(request))
    return dict_body(body)


def dict_body(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("the body must be a JSON object")
    return raw
