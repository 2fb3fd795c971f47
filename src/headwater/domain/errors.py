"""The one error tree. Each API dialect maps these classes to its own envelope in one table.

HeadwaterError
├── InvalidInput          a request that can never succeed as sent (400)
│   ├── BadData           rows that do not fit: names the line and column
│   └── InvalidQuery      SQL refused by the sandbox, or failed while running
├── Unauthenticated       no token, or one that is wrong, expired or revoked (401)
├── PermissionDenied      known to the caller, but not theirs to do (403)
├── NotFound              does not exist, or the caller may not know it does (404)
└── Conflict              valid, but not in the current state (409)
"""

from __future__ import annotations

from typing import Any


class HeadwaterError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details


class InvalidInput(HeadwaterError):
    code = "INVALID_INPUT"


class BadData(InvalidInput):
    code = "BAD_DATA"


class InvalidQuery(InvalidInput):
    code = "INVALID_QUERY"


class Unauthenticated(HeadwaterError):
    code = "UNAUTHENTICATED"


class PermissionDenied(HeadwaterError):
    code = "FORBIDDEN"


class NotFound(HeadwaterError):
    code = "NOT_FOUND"


class Conflict(HeadwaterError):
    code = "CONFLICT"
