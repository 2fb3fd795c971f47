"""Who is calling: a token in, a principal out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from headwater.domain.errors import Unauthenticated
from headwater.domain.ports import Clock, UnitOfWorkFactory
from headwater.domain.tokens import hash_token, new_token_secret
from headwater.domain.users import Principal, Role

log = logging.getLogger(__name__)

ADMIN_NAME = "admin"
ADMIN_EMAIL = "admin@headwater.local"


@dataclass(frozen=True)
class FirstStart:
    """What `ensure_admin` did: the token is set only when Headwater generated it."""

    created: bool
    generated_token: str | None = None


class Auth:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def authenticate(self, secret: str | None) -> Principal:
        if not secret:
            raise Unauthenticated(
                "no token: send X-DOMO-Developer-Token, X-DOMO-Authentication "
                "or Authorization: Bearer"
            )
        with self._uow() as uow:
            holder = uow.tokens.find_holder(hash_token(secret))
        # No holder also covers a deleted user: their tokens go with them (ON DELETE CASCADE).
        if holder is None or not holder.token.is_usable(self._clock.now()):
            raise Unauthenticated("the token is wrong, expired or revoked")
        return Principal(user=holder.user, group_ids=holder.group_ids)

    def ensure_admin(self, admin_token: str | None) -> FirstStart:
        """On first start, create user `admin` with the given token, or a generated one."""
        with self._uow() as uow:
            if uow.users.count() > 0:
                return FirstStart(created=False)
            now = self._clock.now()
            admin = uow.users.add(ADMIN_NAME, ADMIN_EMAIL, int(Role.ADMIN), now)
            secret = admin_token or new_token_secret()
            uow.tokens.add(admin.id, "first-start admin token", hash_token(secret), now, None)
            uow.commit()
        log.info("created the first admin user (id %s)", admin.id)
        return FirstStart(created=True, generated_token=None if admin_token else secret)
