"""Changing access: nobody grants, changes or revokes a level above their own effective level,
on datasets and on accounts (the two things with grants; pipelines take their tables'
levels). Found by issue 15: a CAN_SHARE holder could demote or remove a CO_OWNER."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_public_oauth import bearer, new_client, token_for


@dataclass(frozen=True)
class Kind:
    """Datasets and accounts have the same share and revoke calls under different paths."""

    name: str
    create: Callable[[Api], str]
    share_path: str
    permissions_path: str
    read_path: str

    def share(
        self, api: Api, object_id: str, kind: str, principal_id: int | str, level: str
    ) -> Any:
        return api.post(
            self.share_path.format(id=object_id),
            json={"permissions": [{"type": kind, "id": principal_id, "accessLevel": level}]},
        )

    def revoke(self, api: Api, object_id: str, kind: str, principal_id: int) -> Any:
        return api.delete(f"{self.permissions_path.format(id=object_id)}/{kind}/{principal_id}")


def _account(api: Api) -> str:
    created = api.post(
        "/api/data/v1/accounts",
        json={
            "name": "warehouse",
            "dataProviderType": "postgresql",
            "configurations": [{"name": "password", "value": "pw", "type": "password"}],
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


DATASET = Kind(
    "dataset",
    lambda api: api.new_dataset(),
    "/api/data/v3/datasources/{id}/share",
    "/api/data/v3/datasources/{id}/permissions",
    "/api/data/v3/datasources/{id}",
)
ACCOUNT = Kind(
    "account",
    _account,
    "/api/data/v1/accounts/{id}/share",
    "/api/data/v1/accounts/{id}/permissions",
    "/api/data/v1/accounts/{id}",
)
KINDS = pytest.mark.parametrize("kind", [DATASET, ACCOUNT], ids=lambda k: k.name)


@dataclass
class People:
    owner: Api
    sharer: Api  # holds CAN_SHARE once a test grants it
    sharer_id: int
    coowner: Api
    coowner_id: int
    third_id: int
    group_id: int  # the sharer is its only member


@pytest.fixture
def people(admin: Api) -> People:
    _, owner = admin.new_user("Olga")
    sharer_id, sharer = admin.new_user("Sam")
    coowner_id, coowner = admin.new_user("Cora")
    third_id, _ = admin.new_user("Tess")
    group_id = admin.post("/api/content/v2/groups", json={"name": "Stewards"}).json()["id"]
    added = admin.put(
        "/api/content/v2/groups/access",
        json={"groupId": group_id, "addMembers": [{"type": "USER", "id": sharer_id}]},
    )
    assert added.status_code == 200, added.text
    return People(
        admin.as_(owner),
        admin.as_(sharer),
        sharer_id,
        admin.as_(coowner),
        coowner_id,
        third_id,
        group_id,
    )


def _ok(response: Any) -> None:
    assert response.status_code in (200, 204), response.text


@KINDS
def test_a_sharer_cannot_demote_or_remove_a_coowner(kind: Kind, people: People) -> None:
    object_id = kind.create(people.owner)
    _ok(kind.share(people.owner, object_id, "USER", people.sharer_id, "CAN_SHARE"))
    _ok(kind.share(people.owner, object_id, "USER", people.coowner_id, "CO_OWNER"))

    demoted = kind.share(people.sharer, object_id, "USER", people.coowner_id, "CAN_VIEW")
    assert demoted.status_code == 403, demoted.text
    assert "cannot change a grant of CO_OWNER" in demoted.json()["message"]
    removed = kind.revoke(people.sharer, object_id, "USER", people.coowner_id)
    assert removed.status_code == 403, removed.text
    assert "cannot revoke a grant of CO_OWNER" in removed.json()["message"]

    # The co-owner still deletes it: their level is untouched.
    deleted = people.coowner.delete(kind.read_path.format(id=object_id))
    assert deleted.status_code == 204, deleted.text


@KINDS
def test_a_sharer_grants_and_removes_up_to_their_own_level(kind: Kind, people: People) -> None:
    object_id = kind.create(people.owner)
    _ok(kind.share(people.owner, object_id, "USER", people.sharer_id, "CAN_SHARE"))
    too_high = kind.share(people.sharer, object_id, "USER", people.third_id, "CAN_EDIT")
    assert too_high.status_code == 403
    assert "you hold CAN_SHARE and cannot grant CAN_EDIT" in too_high.json()["message"]
    _ok(kind.share(people.sharer, object_id, "USER", people.third_id, "CAN_SHARE"))
    _ok(kind.share(people.sharer, object_id, "USER", people.third_id, "CAN_VIEW"))
    _ok(kind.revoke(people.sharer, object_id, "USER", people.third_id))


@KINDS
def test_a_level_held_through_a_group_counts_as_the_actors_own(kind: Kind, people: People) -> None:
    """Sam holds CAN_VIEW himself and CO_OWNER through his group: he acts as a CO_OWNER."""
    object_id = kind.create(people.owner)
    _ok(kind.share(people.owner, object_id, "USER", people.sharer_id, "CAN_VIEW"))
    _ok(kind.share(people.owner, object_id, "GROUP", people.group_id, "CO_OWNER"))
    _ok(kind.share(people.owner, object_id, "USER", people.coowner_id, "CO_OWNER"))
    _ok(kind.share(people.sharer, object_id, "USER", people.third_id, "CO_OWNER"))
    _ok(kind.share(people.sharer, object_id, "USER", people.coowner_id, "CAN_EDIT"))
    # ... and a CAN_SHARE holder cannot touch the group's CO_OWNER grant.
    _ok(kind.share(people.owner, object_id, "USER", people.coowner_id, "CAN_SHARE"))
    denied = kind.share(people.coowner, object_id, "GROUP", people.group_id, "CAN_VIEW")
    assert denied.status_code == 403
    assert kind.revoke(people.coowner, object_id, "GROUP", people.group_id).status_code == 403


@KINDS
def test_a_refused_change_in_a_batch_changes_nothing(kind: Kind, people: People) -> None:
    object_id = kind.create(people.owner)
    _ok(kind.share(people.owner, object_id, "USER", people.sharer_id, "CAN_SHARE"))
    _ok(kind.share(people.owner, object_id, "USER", people.coowner_id, "CO_OWNER"))
    batch = people.sharer.post(
        kind.share_path.format(id=object_id),
        json={
            "permissions": [
                {"type": "USER", "id": people.third_id, "accessLevel": "CAN_VIEW"},
                {"type": "USER", "id": people.coowner_id, "accessLevel": "CAN_VIEW"},
            ]
        },
    )
    assert batch.status_code == 403
    # Tess got nothing: the first entry was rolled back with the refused second one.
    assert kind.revoke(people.owner, object_id, "USER", people.third_id).status_code == 404


@KINDS
def test_owner_level_and_unknown_principals_are_refused(kind: Kind, people: People) -> None:
    object_id = kind.create(people.owner)
    owner_grant = kind.share(people.owner, object_id, "USER", people.third_id, "OWNER")
    assert owner_grant.status_code == 400
    assert owner_grant.json()["field"] == "permissions[].accessLevel"
    for principal_id in (987654, 2**40, "abc"):  # past 32 bits the database cannot look
        nobody = kind.share(people.owner, object_id, "USER", principal_id, "CAN_VIEW")
        assert nobody.status_code == 400, nobody.text
        assert nobody.json()["field"] == "permissions[].id"
    owner_id = people.owner.get("/api/content/v2/users/me").json()["id"]
    refused = kind.revoke(people.owner, object_id, "USER", owner_id)
    assert refused.status_code == 409
    assert refused.json()["code"] == "OWNER_ACCESS"


@KINDS
def test_coowners_manage_each_other(kind: Kind, people: People, admin: Api) -> None:
    """Equal levels may be changed (as in Domo): the rule protects only levels above."""
    object_id = kind.create(people.owner)
    _ok(kind.share(people.owner, object_id, "USER", people.coowner_id, "CO_OWNER"))
    _ok(kind.share(people.owner, object_id, "USER", people.sharer_id, "CO_OWNER"))
    _ok(kind.share(people.coowner, object_id, "USER", people.sharer_id, "CAN_VIEW"))
    _ok(kind.revoke(people.coowner, object_id, "USER", people.sharer_id))
    # Admins hold OWNER on everything, so they may change any grant.
    _ok(
        admin.post(
            kind.share_path.format(id=object_id),
            json={
                "permissions": [
                    {"type": "USER", "id": people.coowner_id, "accessLevel": "CAN_VIEW"}
                ]
            },
        )
    )


# -- groups: members hold the group's levels ----------------------------------------------


def _members(
    api: Api, group_id: int, add: tuple[int, ...] = (), remove: tuple[int, ...] = ()
) -> Any:
    return api.put(
        "/api/content/v2/groups/access",
        json={
            "groupId": group_id,
            "addMembers": [{"type": "USER", "id": u} for u in add],
            "removeMembers": [{"type": "USER", "id": u} for u in remove],
        },
    )


@KINDS
def test_a_privileged_user_cannot_join_a_group_to_gain_its_level(
    kind: Kind, people: People, admin: Api
) -> None:
    """Pia manages groups (Privileged) but holds nothing on the object; the group holds
    CO_OWNER there. Adding herself, or anyone, would grant CO_OWNER: refused. Removing a
    member or deleting the group would revoke it: refused too."""
    pia_id, pia_token = admin.new_user("Pia", role=2)
    pia = admin.as_(pia_token)
    object_id = kind.create(people.owner)
    _ok(kind.share(people.owner, object_id, "GROUP", people.group_id, "CO_OWNER"))

    joined = _members(pia, people.group_id, add=(pia_id,))
    assert joined.status_code == 403, joined.text
    assert "holds CO_OWNER on a" in joined.json()["message"]
    assert pia.get(kind.read_path.format(id=object_id)).status_code == 404
    assert _members(pia, people.group_id, remove=(people.sharer_id,)).status_code == 403
    assert pia.delete(f"/api/content/v2/groups/{people.group_id}").status_code == 403
    members = admin.get(f"/api/content/v2/groups/{people.group_id}").json()["userIds"]
    assert members == [people.sharer_id]

    # Holding the level herself (as a CO_OWNER), she manages the group's members.
    _ok(kind.share(people.owner, object_id, "USER", pia_id, "CO_OWNER"))
    _ok(_members(pia, people.group_id, add=(people.third_id,)))
    _ok(_members(pia, people.group_id, remove=(people.third_id,)))
    # ... and at CAN_EDIT she may not hand out the group's CO_OWNER.
    _ok(kind.share(people.owner, object_id, "USER", pia_id, "CAN_EDIT"))
    assert _members(pia, people.group_id, add=(people.third_id,)).status_code == 403
    # Admins hold OWNER everywhere.
    _ok(_members(admin, people.group_id, add=(people.third_id,)))


@KINDS
def test_a_deleted_principals_grants_go_with_it(kind: Kind, people: People, admin: Api) -> None:
    """On SQLite a new user or group may get a deleted one's id: it must not inherit the
    deleted one's access."""
    object_id = kind.create(people.owner)
    zed_id, _ = admin.new_user("Zed")
    _ok(kind.share(people.owner, object_id, "USER", zed_id, "CO_OWNER"))
    gone = admin.post("/api/content/v2/groups", json={"name": "Gone"}).json()["id"]
    _ok(kind.share(people.owner, object_id, "GROUP", gone, "CO_OWNER"))

    jwt = token_for(admin, new_client(admin))
    assert admin.client.delete(f"/v1/users/{zed_id}", headers=bearer(jwt)).status_code == 204
    assert admin.delete(f"/api/content/v2/groups/{gone}").status_code == 204

    newcomer_id, newcomer_token = admin.new_user("Newcomer")
    newcomer = admin.as_(newcomer_token)
    group = admin.post("/api/content/v2/groups", json={"name": "Fresh"}).json()["id"]
    _ok(_members(admin, group, add=(newcomer_id,)))
    assert newcomer.get(kind.read_path.format(id=object_id)).status_code == 404
    if kind is DATASET:
        listed = people.owner.get(kind.permissions_path.format(id=object_id)).json()["list"]
        assert [(e["type"], e["accessLevel"]) for e in listed] == [("USER", "OWNER")]


def test_a_deleted_principal_leaves_the_row_policies(admin: Api) -> None:
    """A PDP policy names users and groups; a newcomer given a deleted one's id must not be
    handed its rows."""
    dataset_id = admin.new_dataset()
    zed_id, _ = admin.new_user("Zed")
    kept_id, _ = admin.new_user("Kept")
    gone = admin.post("/api/content/v2/groups", json={"name": "Gone"}).json()["id"]
    created = admin.post(
        f"/v1/datasets/{dataset_id}/policies",
        json={
            "name": "north",
            "type": "user",
            "filters": [{"column": "region", "values": ["north"], "operator": "EQUALS"}],
            "users": [zed_id, kept_id],
            "groups": [gone],
        },
    )
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]
    assert admin.delete(f"/v1/users/{zed_id}").status_code == 204
    assert admin.delete(f"/api/content/v2/groups/{gone}").status_code == 204
    after = admin.get(f"/v1/datasets/{dataset_id}/policies/{policy_id}").json()
    assert (after["users"], after["groups"]) == ([kept_id], [])
