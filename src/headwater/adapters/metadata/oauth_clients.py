"""OAuth clients in SQL: only the hash of each secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from headwater.adapters.metadata.tables import oauth_clients
from headwater.domain.oauth import OAuthClient


def _client(row: Any) -> OAuthClient:
    return OAuthClient(
        client_id=row.client_id,
        user_id=row.user_id,
        name=row.name,
        scopes=tuple(row.scopes or ()),
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlOAuthClientRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, client: OAuthClient) -> None:
        self._c.execute(
            oauth_clients.insert().values(
                client_id=client.client_id,
                user_id=client.user_id,
                name=client.name,
                scopes=list(client.scopes),
                secret_hash=client.secret_hash,
                created_at=client.created_at,
                revoked_at=client.revoked_at,
            )
        )

    def find(self, client_id: str) -> OAuthClient | None:
        row = self._c.execute(
            oauth_clients.select().where(oauth_clients.c.client_id == client_id)
        ).first()
        return _client(row) if row else None

    def for_user(self, user_id: int | None) -> list[OAuthClient]:
        query = oauth_clients.select().where(oauth_clients.c.revoked_at.is_(None))
        if user_id is not None:
            query = query.where(oauth_clients.c.user_id == user_id)
        query = query.order_by(oauth_clients.c.created_at, oauth_clients.c.client_id)
        return [_client(row) for row in self._c.execute(query)]

    def revoke(self, client_id: str, now: datetime) -> None:
        self._c.execute(
            oauth_clients.update()
            .where(oauth_clients.c.client_id == client_id)
            .values(revoked_at=now)
        )
