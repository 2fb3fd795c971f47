"""Users: created by admins, visible to every signed-in user."""

from __future__ import annotations

from headwater.domain.access import PrincipalType
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.users import Principal, Role, User
from headwater.services.identity.admin_access import keeps_admin_access
from headwater.services.identity.principal_grants import forget_principal


def parse_role(raw: int | None) -> Role:
    if raw is None:
        return Role.PARTICIPANT
    try:
        return Role(raw)
    except ValueError:
        raise InvalidInput(
            "roleId must be 1 (Admin), 2 (Privileged), 3 (Editor) or 4 (Participant)",
            field="roleId",
        ) from None


class Users:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def create(self, actor: Principal, display_name: str, email: str, role_id: int | None) -> User:
        if not actor.is_admin:
            raise PermissionDenied("only admins create users")
        role = parse_role(role_id)
        if not display_name.strip():
            raise InvalidInput("displayName must not be empty", field="displayName")
        if "@" not in email:
            raise InvalidInput(f"{email!r} is not an email address", field="detail.email")
        with self._uow() as uow:
            if uow.users.find_by_email(email) is not None:
                raise Conflict(f"a user with email {email!r} exists already", code="USER_EXISTS")
            user = uow.users.add(display_name.strip(), email.strip(), int(role), self._clock.now())
            uow.commit()
            return user

    def get(self, actor: Principal, user_id: int) -> User:
        with self._uow() as uow:
            user = uow.users.find(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    def page(self, actor: Principal, limit: int, offset: int) -> list[User]:
        with self._uow() as uow:
            return uow.users.page(limit, offset)

    def update(
        self,
        actor: Principal,
        user_id: int,
        display_name: str | None = None,
        email: str | None = None,
        role: Role | None = None,
    ) -> User:
        if not actor.is_admin:
            raise PermissionDenied("only admins change users")
        with self._uow() as uow:
            user = uow.users.find(user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            if display_name is not None:
                if not display_name.strip():
                    raise InvalidInput("name must not be empty", field="name")
                user.display_name = display_name.strip()
            if email is not None:
                if "@" not in email:
                    raise InvalidInput(f"{email!r} is not an email address", field="email")
                other = uow.users.find_by_email(email.strip())
                if other is not None and other.id != user_id:
                    raise Conflict(
                        f"a user with email {email!r} exists already", code="USER_EXISTS"
                    )
                user.email = email.strip()
            if role is not None:
                if user_id == actor.id and role is not Role.ADMIN:
                    raise Conflict("you cannot take away your own Admin role", code="SELF_ADMIN")
                user.role = role
            with keeps_admin_access(uow, self._clock.now(), f"changing user {user_id}"):
                uow.users.update(user)
            uow.commit()
            return user

    def delete(self, actor: Principal, user_id: int) -> None:
        """Remove a user with their tokens, clients and memberships. A user who still owns
        datasets, streams or accounts is a 409: hand those over first."""
        if not actor.is_admin:
            raise PermissionDenied("only admins delete users")
        if user_id == actor.id:
            raise Conflict("you cannot delete yourself", code="SELF_DELETE")
        with self._uow() as uow:
            if uow.users.find(user_id) is None:
                raise NotFound(f"no user {user_id}")
            with keeps_admin_access(uow, self._clock.now(), f"deleting user {user_id}"):
                uow.users.delete(user_id)
            forget_principal(uow, PrincipalType.USER, user_id)
            uow.commit()
