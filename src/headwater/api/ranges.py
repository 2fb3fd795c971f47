"""Integer ranges at the edge: one rule for every dialect and every metadata database.

Ids are stored as PostgreSQL `INTEGER` (SQLite's integers are wider, to 2**63 - 1), so an id
is a number from 1 to 2**31 - 1 on every backend: the same request means the same thing on
both, and no value the database driver would refuse (a 500) ever reaches it.

- `Id`, a path id: one out of range is simply not found (404), like any id nothing has;
  `VersionNumber`, a data version in a path (from 0), the same.
- `PartId`, a part number the client chooses (0 to `MAX_PART_ID`): the upload refuses others
  with a 400 before touching the database.
- `Count` (an offset or a page size), `Signed`, `BodyId`: a number the client chose; out of
  range it is a 400 naming it.

The OpenAPI document states the ranges, so generated clients and tests stay inside them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, Field, WithJsonSchema

from headwater.domain.errors import InvalidInput, NotFound
from headwater.services.ingest.uploads import MAX_PART_ID

MAX_INT = 2**31 - 1


def _known_id(value: int) -> int:
    # Raised from inside validation: FastAPI lets a non-validation error through to the
    # error table, so this is a 404, not a 400 about the parameter's shape.
    if not 1 <= value <= MAX_INT:
        raise NotFound(f"nothing here has the id {value}; ids run from 1 to {MAX_INT}")
    return value


def _known_version(value: int) -> int:
    if not 0 <= value <= MAX_INT:
        raise NotFound(
            f"no dataset has a version {value}; versions run from 0 to {MAX_INT}",
            code="VERSION_NOT_FOUND",
        )
    return value


_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_INT}

Id = Annotated[int, AfterValidator(_known_id), WithJsonSchema(_ID_SCHEMA)]
# A data version in a path (Delta's, from 0): out of range, as not found as an id.
VersionNumber = Annotated[
    int,
    AfterValidator(_known_version),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_INT}),
]
PartId = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_PART_ID})]
BodyId = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int | None, Query(ge=0, le=MAX_INT)]
Signed = Annotated[int | None, Query(ge=-MAX_INT, le=MAX_INT)]


def parse_id(value: Any, field: str) -> int:
    """An id from a body read by hand (not through a model): a whole number in range, or its
    digits as text."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):  # JSON true is not 1
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and value.strip().isdecimal() and len(value) <= 20
    ):
        number = int(value)
    if number is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise InvalidInput(f"{field} must be a whole number, not {shown}", field=field)
    if not 1 <= number <= MAX_INT:
        raise InvalidInput(f"{field} must be between 1 and {MAX_INT}", field=field)
    return number
