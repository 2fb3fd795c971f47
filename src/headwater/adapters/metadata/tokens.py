"""Access tokens in SQL: only their hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import access_tokens, group_members, users
from headwater.domain.tokens import AccessToken, TokenHolder
from headwater.domain.users import Role, User

# Every authenticated request runs this: the token, its user and the user's groups in one
# round trip (one row per group, or one row with a NULL group). Built once; SQLAlchemy caches
# its compiled form per dialect, so a request pays only for binding and executing it.
_HOLDER = (
    sa.select(
        access_tokens,
        users.c.display_name.label("user_display_name"),
        users.c.email.label("user_email"),
        users.c.role.label("user_role"),
        users.c.created_at.label("user_created_at"),
        group_members.c.group_id,
    )
    .join_from(access_tokens, users, users.c.id == access_tokens.c.user_id)
    .outerjoin(group_members, group_members.c.user_id == users.c.id)
    .where(access_tokens.c.token_hash == sa.bindparam("token_hash"))
)


def _token(row: Any) -> AccessToken:
    return AccessToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class SqlTokenRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(
        self, user_id: int, name: str, token_hash: str, now: datetime, expires_at: datetime | None
    ) -> AccessToken:
        result = self._c.execute(
            access_tokens.insert().values(
                user_id=user_id,
                name=name,
                token_hash=token_hash,
                created_at=now,
                expires_at=expires_at,
            )
        )
        token_id = inserted_id(result)
        return AccessToken(
            id=token_id,
            user_id=user_id,
            name=name,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
        )

    def find(self, token_id: int) -> AccessToken | None:
        row = self._c.execute(access_tokens.select().where(access_tokens.c.id == token_id)).first()
        return _token(row) if row else None

    def find_holder(self, token_hash: str) -> TokenHolder | None:
        """The token, its user and their groups; None if no token has this hash (a token
        whose user is gone has no row either: deleting a user deletes their tokens)."""
        rows = self._c.execute(_HOLDER, {"token_hash": token_hash}).all()
        if not rows:
            return None
        first = rows[0]
        user = User(
            id=first.user_id,
            display_name=first.user_display_name,
            email=first.user_email,
            role=Role(first.user_role),
            created_at=first.user_created_at,
        )
        groups = frozenset(row.group_id for row in rows if row.group_id is not None)
        return TokenHolder(_token(first), user, groups)

    def for_user(self, user_id: int | None) -> list[AccessToken]:
        query = access_tokens.select().where(access_tokens.c.revoked_at.is_(None))
        if user_id is not None:
            query = query.where(access_tokens.c.user_id == user_id)
        return [_token(row) for row in self._c.execute(query.order_by(access_tokens.c.id))]

    def count_usable(self, user_ids: Sequence[int], now: datetime, lasting: bool = False) -> int:
        unexpired: sa.ColumnElement[bool] = access_tokens.c.expires_at.is_(None)
        if not lasting:
            unexpired = sa.or_(unexpired, access_tokens.c.expires_at > now)
        query = (
            sa.select(sa.func.count())
            .select_from(access_tokens)
            .where(
                access_tokens.c.user_id.in_(list(user_ids)),
                access_tokens.c.revoked_at.is_(None),
                unexpired,
            )
        )
        return int(self._c.execute(query).scalar_one())

    def revoke(self, token_id: int, now: datetime) -> None:
        self._c.execute(
            access_tokens.update().where(access_tokens.c.id == token_id).values(revoked_at=now)
        )
