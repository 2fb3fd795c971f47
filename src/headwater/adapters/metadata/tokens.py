"""Access tokens in SQL: only their hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import access_tokens
from headwater.domain.tokens import AccessToken


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

    def find_by_hash(self, token_hash: str) -> AccessToken | None:
        row = self._c.execute(
            access_tokens.select().where(access_tokens.c.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def for_user(self, user_id: int | None) -> list[AccessToken]:
        query = access_tokens.select().where(access_tokens.c.revoked_at.is_(None))
        if user_id is not None:
            query = query.where(access_tokens.c.user_id == user_id)
        return [_token(row) for row in self._c.execute(query.order_by(access_tokens.c.id))]

    def revoke(self, token_id: int, now: datetime) -> None:
        self._c.execute(
            access_tokens.update().where(access_tokens.c.id == token_id).values(revoked_at=now)
        )
