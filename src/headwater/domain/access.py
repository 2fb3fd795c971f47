"""Who may do what with a shared object (datasets, accounts).

Levels are totally ordered, each including everything below it, as in Domo:
view < share (view and share) < edit (also write data) < co-owner (also delete) < owner.

Changing access follows one rule, on everything that has grants (`check_grant_change`):
nobody grants, changes or revokes a level above their own effective level (user and group
grants together), and nobody grants OWNER: an object has one owner, whose access stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from headwater.domain.errors import InvalidInput, PermissionDenied
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


def grant_of(
    grants: Iterable[Grant], principal_type: PrincipalType, principal_id: int
) -> Grant | None:
    """The grant a user or group holds directly (not through a group), if any."""
    return next(
        (
            g
            for g in grants
            if g.principal_type is principal_type and g.principal_id == principal_id
        ),
        None,
    )


def check_grant_change(
    held: AccessLevel, current: AccessLevel | None, wanted: AccessLevel | None
) -> None:
    """May someone holding `held` turn a grant of `current` into `wanted` (None: no grant)?

    `held` is the actor's effective level, so a level held through a group counts. Both ends
    are checked: granting above `held` would hand out what the actor does not have, and
    changing or removing a grant above `held` would let a CAN_SHARE holder demote a CO_OWNER.
    Equal levels are allowed, as in Domo: a CO_OWNER may manage other CO_OWNERs.
    """
    if wanted is AccessLevel.OWNER:
        raise InvalidInput(
            "there is one OWNER, who keeps that level; grant CO_OWNER instead",
            field="permissions[].accessLevel",
        )
    if wanted is not None and not held.allows(wanted):
        raise PermissionDenied(f"you hold {held.name} and cannot grant {wanted.name}")
    if current is not None and not held.allows(current):
        verb = "revoke" if wanted is None else "change"
        raise PermissionDenied(
            f"you hold {held.name} and cannot {verb} a grant of {current.name}, "
            "which is above your own level"
        )
