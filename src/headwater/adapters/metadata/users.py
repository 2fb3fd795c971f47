"""Users and groups in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import group_members, groups, users
from headwater.domain.errors import Conflict
from headwater.domain.users import Group, Role, User


def _user(row: Any) -> User:
    return User(
        id=row.id,
        display_name=row.display_name,
        email=row.email,
        role=Role(row.role),
        created_at=row.created_at,
    )


class SqlUserRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, display_name: str, email: str, role: int, now: datetime) -> User:
        result = self._c.execute(
            users.insert().values(display_name=display_name, email=email, role=role, created_at=now)
        )
        user_id = inserted_id(result)
        return User(
            id=user_id, display_name=display_name, email=email, role=Role(role), created_at=now
        )

    def find(self, user_id: int) -> User | None:
        row = self._c.execute(users.select().where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def find_by_email(self, email: str) -> User | None:
        row = self._c.execute(
            users.select().where(sa.func.lower(users.c.email) == email.lower())
        ).first()
        return _user(row) if row else None

    def page(self, limit: int, offset: int) -> list[User]:
        query = users.select().order_by(users.c.id).limit(limit).offset(offset)
        return [_user(row) for row in self._c.execute(query)]

    def count(self) -> int:
        return int(self._c.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())

    def update(self, user: User) -> None:
        self._c.execute(
            users.update()
            .where(users.c.id == user.id)
            .values(display_name=user.display_name, email=user.email, role=int(user.role))
        )

    def lock_admins(self) -> list[int]:
        admins = users.c.role == int(Role.ADMIN)
        if self._c.dialect.name == "sqlite":
            # SQLite locks the whole database for writing, and only from a transaction's
            # first write (Python's sqlite3 begins one only there): a no-op write takes that
            # lock now, so the check and the change that follow see one state. It also opens
            # the transaction before any SAVEPOINT, whose release would otherwise commit.
            self._c.execute(users.update().where(admins).values(role=users.c.role))
            return list(
                self._c.execute(sa.select(users.c.id).where(admins).order_by(users.c.id)).scalars()
            )
        # In id order, so two transactions lock the same rows in the same order (no deadlock).
        # FOR NO KEY UPDATE: conflicts with a role change or a delete of the row, not with a
        # token being added for the user (its foreign key check takes only KEY SHARE).
        query = (
            sa.select(users.c.id).where(admins).order_by(users.c.id).with_for_update(key_share=True)
        )
        return list(self._c.execute(query).scalars())

    def delete(self, user_id: int) -> None:
        try:
            with self._c.begin_nested():
                self._c.execute(users.delete().where(users.c.id == user_id))
        except sa.exc.IntegrityError:
            raise Conflict(
                f"user {user_id} still owns datasets, streams or accounts; "
                "give them another owner first",
                code="USER_OWNS_DATA",
            ) from None


class SqlGroupRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _group(self, row: Any) -> Group:
        members = self._c.execute(
            sa.select(group_members.c.user_id)
            .where(group_members.c.group_id == row.id)
            .order_by(group_members.c.user_id)
        ).scalars()
        return Group(
            id=row.id,
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            member_ids=list(members),
        )

    def add(self, name: str, description: str, now: datetime) -> Group:
        result = self._c.execute(
            groups.insert().values(name=name, description=description, created_at=now)
        )
        group_id = inserted_id(result)
        return Group(id=group_id, name=name, description=description, created_at=now)

    def find(self, group_id: int) -> Group | None:
        row = self._c.execute(groups.select().where(groups.c.id == group_id)).first()
        return self._group(row) if row else None

    def find_by_name(self, name: str) -> Group | None:
        row = self._c.execute(groups.select().where(groups.c.name == name)).first()
        return self._group(row) if row else None

    def page(self, limit: int, offset: int) -> list[Group]:
        query = groups.select().order_by(groups.c.id).limit(limit).offset(offset)
        return [self._group(row) for row in self._c.execute(query)]

    def update(self, group: Group) -> None:
        self._c.execute(
            groups.update()
            .where(groups.c.id == group.id)
            .values(name=group.name, description=group.description)
        )

    def delete(self, group_id: int) -> None:
        self._c.execute(group_members.delete().where(group_members.c.group_id == group_id))
        self._c.execute(groups.delete().where(groups.c.id == group_id))

    def add_member(self, group_id: int, user_id: int) -> None:
        exists = self._c.execute(
            sa.select(group_members.c.user_id).where(
                group_members.c.group_id == group_id, group_members.c.user_id == user_id
            )
        ).first()
        if not exists:
            self._c.execute(group_members.insert().values(group_id=group_id, user_id=user_id))

    def remove_member(self, group_id: int, user_id: int) -> None:
        self._c.execute(
            group_members.delete().where(
                group_members.c.group_id == group_id, group_members.c.user_id == user_id
            )
        )

    def groups_of(self, user_id: int) -> frozenset[int]:
        rows = self._c.execute(
            sa.select(group_members.c.group_id).where(group_members.c.user_id == user_id)
        ).scalars()
        return frozenset(rows)
