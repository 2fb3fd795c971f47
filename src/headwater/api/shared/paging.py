"""Paging as Domo clients send it: limit/offset, `offet` (domolibrary's typo), `[]` past the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from headwater.api.ranges import MAX_INT, Count

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page(
    limit: Count = None,
    offset: Count = None,
    offet: Annotated[int | None, Query(ge=0, le=MAX_INT, include_in_schema=False)] = None,
) -> Page:
    # limit=0 is what pydomo sends on follow-up pages: it means "the default", not "nothing".
    chosen = DEFAULT_LIMIT if not limit else min(limit, MAX_LIMIT)
    return Page(limit=chosen, offset=offset if offset is not None else (offet or 0))


PageDep = Annotated[Page, Depends(page)]
