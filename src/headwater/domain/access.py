"""Who may do what with a shared object (datasets, accounts).

Levels are totally ordered, each including everything below it, as in Domo:
view < share (view and share) < edit (also write data) < co-owner (also delete) < owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from headwater.domain.errors import InvalidInput
from headwater.domain.users import Principal


class AccessLevel(Enum):
    CAN_VIEW = 1
    CAN_SHARE = 2
    CAN_EDIT = 3
    CO_OWNER = 4
    OWNER = 5

    @classmethod
    def parse(cls, raw: str) -> AccessLevel:
        name = LEVEL_ALIASES.get(raw.strip().upper(), raw.strip().upper())
        try:
            return cls[name]
        except KeyError:
            allowed = ", ".join(level.name for level in cls)
            raise InvalidInput(
                f"unknown accessLevel {raw!r}; use one of {allowed}", field="accessLevel"
            ) from None

    def allows(self, needed: AccessLevel) -> bool:
        return self.value >= needed.value


# The seeds' generic READ/WRITE examples name Domo's view and edit levels.
LEVEL_ALIASES = {"READ": "CAN_VIEW", "WRITE": "CAN_EDIT", "VIEW": "CAN_VIEW", "EDIT": "CAN_EDIT"}

# What each action needs.
VIEW = AccessLevel.CAN_VIEW
SHARE = AccessLevel.CAN_SHARE
EDIT = AccessLevel.CAN_EDIT
DELETE = AccessLevel.CO_OWNER


class PrincipalType(Enum):
    USER = "USER"
    GROUP = "GROUP"

    @classmethod
    def parse(cls, raw: str) -> PrincipalType:
        try:
            return cls(raw.strip().upper())
        except ValueError:
            raise InvalidInput(f"unknown type {raw!r}; use USER or GROUP", field="type") from None


@dataclass(frozen=True)
class Grant:
    principal_type: PrincipalType
    principal_id: int
    level: AccessLevel


def effective_level(
    principal: Principal, owner_id: int, grants: Iterable[Grant]
) -> AccessLevel | None:
    """The highest level the principal holds: as admin, owner, or through a user or group grant."""
    if principal.is_admin or principal.id == owner_id:
        return AccessLevel.OWNER
    levels = [
        grant.level.value
        for grant in grants
        if (grant.principal_type is PrincipalType.USER and grant.principal_id == principal.id)
        or (
            grant.principal_type is PrincipalType.GROUP
            and grant.principal_id in principal.group_ids
        )
    ]
    return AccessLevel(max(levels)) if levels else None
