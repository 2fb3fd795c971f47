"""Access tokens: users create their own; admins create them for anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from headwater.domain.errors import InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.tokens import AccessToken, hash_token, new_token_secret
from headwater.domain.users import Principal
from headwater.services.identity.admin_access import keeps_admin_access


@dataclass(frozen=True)
class IssuedToken:
    """A token with its secret: only the create call ever returns one."""

    token: AccessToken
    secret: str


class Tokens:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def create(
        self, actor: Principal, name: str, owner_id: int | None, expires_at: datetime | None
    ) -> IssuedToken:
        owner_id = actor.id if owner_id is None else owner_id
        if owner_id != actor.id and not actor.is_admin:
            raise PermissionDenied("only admins create tokens for other users")
        now = self._clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires is in the past", field="expires")
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        secret = new_token_secret()
        with self._uow() as uow:
            if uow.users.find(owner_id) is None:
                raise InvalidInput(f"no user {owner_id}", field="ownerId")
            token = uow.tokens.add(owner_id, name.strip(), hash_token(secret), now, expires_at)
            uow.commit()
        return IssuedToken(token=token, secret=secret)

    def visible(self, actor: Principal) -> list[AccessToken]:
        with self._uow() as uow:
            return uow.tokens.for_user(None if actor.is_admin else actor.id)

    def revoke(self, actor: Principal, token_id: int) -> None:
        """Revoke a token; a 409 if it is the last usable token any admin holds."""
        now = self._clock.now()
        with self._uow() as uow:
            token = uow.tokens.find(token_id)
            visible = token is not None and (actor.is_admin or token.user_id == actor.id)
            if token is None or not visible or token.revoked_at is not None:
                raise NotFound(f"no access token {token_id}")
            with keeps_admin_access(uow, now, f"revoking access token {token_id}"):
                uow.tokens.revoke(token_id, now)
            uow.commit()
