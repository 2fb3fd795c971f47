"""Groups: named sets of users; a grant to a group counts for each member, so changing the
members follows the access rule for every level the group holds (`principal_grants`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from headwater.domain.access import PrincipalType
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Group, Principal
from headwater.services.identity.principal_grants import check_group_levels, forget_principal


@dataclass(frozen=True)
class MembershipChange:
    group_id: int
    add_user_ids: tuple[int, ...] = ()
    remove_user_ids: tuple[int, ...] = ()


class Groups:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @staticmethod
    def _require_manager(actor: Principal) -> None:
        if not actor.user.role.can_manage_groups:
            raise PermissionDenied("only Admin and Privileged users manage groups")

    def create(self, actor: Principal, name: str, description: str) -> Group:
        self._require_manager(actor)
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        with self._uow() as uow:
            if uow.groups.find_by_name(name.strip()) is not None:
                raise Conflict(f"a group named {name!r} exists already", code="GROUP_EXISTS")
            group = uow.groups.add(name.strip(), description, self._clock.now())
            uow.commit()
            return group

    def get(self, actor: Principal, group_id: int) -> Group:
        with self._uow() as uow:
            return _get(uow, group_id)

    def page(self, actor: Principal, limit: int, offset: int) -> list[Group]:
        with self._uow() as uow:
            return uow.groups.page(limit, offset)

    def update(
        self,
        actor: Principal,
        group_id: int,
        name: str | None = None,
        description: str | None = None,
    ) -> Group:
        self._require_manager(actor)
        with self._uow() as uow:
            group = _get(uow, group_id)
            if name is not None:
                if not name.strip():
                    raise InvalidInput("name must not be empty", field="name")
                other = uow.groups.find_by_name(name.strip())
                if other is not None and other.id != group_id:
                    raise Conflict(f"a group named {name!r} exists already", code="GROUP_EXISTS")
                group.name = name.strip()
            if description is not None:
                group.description = description
            uow.groups.update(group)
            uow.commit()
            return group

    def delete(self, actor: Principal, group_id: int) -> None:
        """Delete a group with its grants: that revokes its levels from its members, so the
        actor must hold them (`principal_grants`)."""
        self._require_manager(actor)
        with self._uow() as uow:
            group = _get(uow, group_id)
            check_group_levels(uow, actor, group, granting=False)
            uow.groups.delete(group_id)
            forget_principal(uow, PrincipalType.GROUP, group_id)
            uow.commit()

    def change_members(self, actor: Principal, changes: Iterable[MembershipChange]) -> list[Group]:
        """Apply every change in one transaction: all of them, or none."""
        self._require_manager(actor)
        with self._uow() as uow:
            touched: list[int] = []
            for change in changes:
                group = _get(uow, change.group_id)
                # A member holds the group's levels: adding one grants them, removing one
                # revokes them, and nobody grants or revokes a level above their own.
                if change.add_user_ids:
                    check_group_levels(uow, actor, group, granting=True)
                if change.remove_user_ids:
                    check_group_levels(uow, actor, group, granting=False)
                for user_id in (*change.add_user_ids, *change.remove_user_ids):
                    if uow.users.find(user_id) is None:
                        raise InvalidInput(f"no user {user_id}", field="members[].id")
                for user_id in change.add_user_ids:
                    uow.groups.add_member(change.group_id, user_id)
                for user_id in change.remove_user_ids:
                    uow.groups.remove_member(change.group_id, user_id)
                touched.append(change.group_id)
            uow.commit()
            return [_get(uow, group_id) for group_id in touched]


def _get(uow: UnitOfWork, group_id: int) -> Group:
    group = uow.groups.find(group_id)
    if group is None:
        raise NotFound(f"no group {group_id}")
    return group
