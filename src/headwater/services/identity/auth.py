"""Who is calling: a token in, a principal out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from headwater.domain.errors import InvalidInput, NotFound, Unauthenticated
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.tokens import AccessToken, hash_token, new_token_secret
from headwater.domain.users import Principal, Role, User
from headwater.services.datasets.access import MAX_PRINCIPAL_ID
from headwater.services.identity.admin_access import usable_admin_tokens

log = logging.getLogger(__name__)

ADMIN_NAME = "admin"
ADMIN_EMAIL = "admin@headwater.local"


@dataclass(frozen=True)
class FirstStart:
    """What `ensure_admin` did: the token is set only when Headwater generated it."""

    created: bool
    generated_token: str | None = None


@dataclass(frozen=True)
class RecoveryToken:
    """A token issued on the server for an admin (`headwater admin reset-token`)."""

    admin: User
    token: AccessToken
    secret: str


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

    def admin_access_lost(self) -> bool:
        """True when no admin holds a usable token: only `headwater admin reset-token` (on
        the server) gets one back. `serve` says so at start."""
        with self._uow() as uow:
            return usable_admin_tokens(uow, self._clock.now()) == 0

    def recovery_token(self, who: str | None, name: str) -> RecoveryToken:
        """A new token for an admin: the first one (lowest id), or `who` (an email or a user
        id), who must be an admin. For the server's operator, who reaches the database
        directly (`headwater admin reset-token`): it needs no token, so it works when every
        admin token is revoked or expired. Other tokens are left as they are."""
        secret = new_token_secret()
        now = self._clock.now()
        with self._uow() as uow:
            admin = _recovery_admin(uow, who)
            token = uow.tokens.add(admin.id, name, hash_token(secret), now, None)
            uow.commit()
        log.info("issued recovery token %s for admin %s", token.id, admin.id)
        return RecoveryToken(admin, token, secret)


def _recovery_admin(uow: UnitOfWork, who: str | None) -> User:
    if who is None:
        if uow.users.count() == 0:
            raise NotFound(
                "no user yet: `headwater serve` creates the first admin on its first start"
            )
        admins = uow.users.lock_admins()
        user = uow.users.find(admins[0]) if admins else None
        if user is None:
            raise NotFound(
                "no user has the Admin role (set one user's role to 1 in the users table of "
                "the metadata database, then run this again)"
            )
        return user
    text = who.strip()
    if text.isdigit():
        user = uow.users.find(int(text)) if int(text) <= MAX_PRINCIPAL_ID else None
    else:
        user = uow.users.find_by_email(text)
    if user is None:
        raise NotFound(f"no user {who!r}; give an email address or a user id", field="user")
    if not user.is_admin:
        raise InvalidInput(
            f"user {user.id} ({user.email}) is {user.role.label}, not Admin: reset-token "
            "issues admin tokens only",
            field="user",
        )
    return user
