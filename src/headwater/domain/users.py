"""Users, groups and roles. Role ids are Domo's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum


class Role(IntEnum):
    ADMIN = 1
    PRIVILEGED = 2
    EDITOR = 3
    PARTICIPANT = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def from_label(cls, raw: str | int) -> Role | None:
        """Domo's role names (Admin, Privileged, Editor, Participant) or ids; None if unknown."""
        text = str(raw).strip()
        if text.isdigit():
            return cls(int(text)) if int(text) in cls._value2member_map_ else None
        return cls.__members__.get(text.upper())

    @property
    def can_create_datasets(self) -> bool:
        return self is not Role.PARTICIPANT

    @property
    def can_manage_groups(self) -> bool:
        return self in (Role.ADMIN, Role.PRIVILEGED)


@dataclass
class User:
    id: int
    display_name: str
    email: str
    role: Role
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass
class Group:
    id: int
    name: str
    description: str
    created_at: datetime
    member_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user behind the token, and the groups they belong to now."""

    user: User
    group_ids: frozenset[int]

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin
