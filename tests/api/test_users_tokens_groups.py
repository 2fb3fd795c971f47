"""Users, access tokens and groups on Domo's product paths."""

from __future__ import annotations

from tests.api.conftest import Api


def test_admin_creates_and_reads_users(admin: Api) -> None:
    created = admin.post(
        "/api/content/v3/users",
        json={
            "displayName": "Ann Lee",
            "detail": {"email": "ann@example.com"},
            "roleId": 3,
            "unknownField": "ignored",
        },
    )
    assert created.status_code == 201
    user = created.json()
    assert user["displayName"] == "Ann Lee"
    assert user["detail"]["email"] == "ann@example.com"
    assert user["roleId"] == 3
    fetched = admin.get(f"/api/content/v2/users/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == user
    names = [u["displayName"] for u in admin.get("/api/content/v2/users").json()]
    assert names == ["admin", "Ann Lee"]


def test_user_list_pages_and_ends_with_empty_list(admin: Api) -> None:
    for i in range(3):
        admin.new_user(f"User {i}")
    first = admin.get("/api/content/v2/users?limit=2&offset=0").json()
    second = admin.get("/api/content/v2/users?limit=2&offset=2").json()
    past = admin.get("/api/content/v2/users?limit=2&offset=10").json()
    assert len(first) == 2
    assert len(second) == 2
    assert past == []
    assert {u["id"] for u in first}.isdisjoint({u["id"] for u in second})


def test_only_admins_create_users(admin: Api) -> None:
    _, token = admin.new_user("Eddie", role=2)
    response = admin.as_(token).post(
        "/api/content/v3/users",
        json={"displayName": "X", "detail": {"email": "x@example.com"}, "roleId": 4},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_user_create_validates(admin: Api) -> None:
    bad_role = admin.post(
        "/api/content/v3/users",
        json={"displayName": "X", "detail": {"email": "x@example.com"}, "roleId": 9},
    )
    assert bad_role.status_code == 400
    assert bad_role.json()["field"] == "roleId"
    missing_email = admin.post("/api/content/v3/users", json={"displayName": "X", "roleId": 3})
    assert missing_email.status_code == 400
    assert missing_email.json()["field"] == "detail"
    wrong_type = admin.post(
        "/api/content/v3/users",
        json={"displayName": "X", "detail": {"email": "x@example.com"}, "roleId": "admin"},
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json()["field"] == "roleId"
    admin.new_user("Dup")
    duplicate = admin.post(
        "/api/content/v3/users",
        json={"displayName": "Dup2", "detail": {"email": "dup@example.com"}, "roleId": 3},
    )
    assert duplicate.status_code == 409


def test_unknown_user_is_404(admin: Api) -> None:
    response = admin.get("/api/content/v2/users/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_token_secret_is_shown_only_at_creation(admin: Api) -> None:
    created = admin.post("/api/data/v1/accesstokens", json={"name": "ci"})
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("hw_")
    listed = admin.get("/api/data/v1/accesstokens").json()
    assert any(t["id"] == body["id"] for t in listed)
    assert all("token" not in t for t in listed)


def test_only_admins_create_tokens_for_others(admin: Api) -> None:
    ann_id, ann_token = admin.new_user("Ann")
    bob_id, _ = admin.new_user("Bob")
    as_ann = admin.as_(ann_token)
    refused = as_ann.post("/api/data/v1/accesstokens", json={"name": "x", "ownerId": bob_id})
    assert refused.status_code == 403
    own = as_ann.post("/api/data/v1/accesstokens", json={"name": "x", "ownerId": ann_id})
    assert own.status_code == 201
    for_bob = admin.post("/api/data/v1/accesstokens", json={"name": "x", "ownerId": bob_id})
    assert for_bob.status_code == 201
    assert for_bob.json()["ownerId"] == bob_id


def test_users_see_and_revoke_only_their_own_tokens(admin: Api) -> None:
    _, ann_token = admin.new_user("Ann")
    _, bob_token = admin.new_user("Bob")
    as_ann, as_bob = admin.as_(ann_token), admin.as_(bob_token)
    ann_tokens = as_ann.get("/api/data/v1/accesstokens").json()
    bob_tokens = as_bob.get("/api/data/v1/accesstokens").json()
    assert {t["ownerId"] for t in ann_tokens} == {ann_tokens[0]["ownerId"]}
    assert as_ann.delete(f"/api/data/v1/accesstokens/{bob_tokens[0]['id']}").status_code == 404
    assert as_bob.get("/api/content/v2/users/me").status_code == 200


def test_groups_crud_and_membership(admin: Api) -> None:
    ann_id, _ = admin.new_user("Ann")
    bob_id, _ = admin.new_user("Bob")
    created = admin.post("/api/content/v2/groups", json={"name": "Sales", "description": "EMEA"})
    assert created.status_code == 201
    group_id = created.json()["id"]
    changed = admin.put(
        "/api/content/v2/groups/access",
        json=[
            {
                "groupId": group_id,
                "addMembers": [{"type": "USER", "id": ann_id}, {"type": "USER", "id": bob_id}],
            }
        ],
    )
    assert changed.status_code == 200
    assert changed.json()[0]["userIds"] == sorted([ann_id, bob_id])
    admin.put(
        "/api/content/v2/groups/access",
        json={"groupId": group_id, "removeMembers": [{"type": "USER", "id": bob_id}]},
    )
    group = admin.get(f"/api/content/v2/groups/{group_id}").json()
    assert group["userIds"] == [ann_id]
    assert group["memberCount"] == 1
    assert [g["name"] for g in admin.get("/api/content/v2/groups").json()] == ["Sales"]
    assert admin.delete(f"/api/content/v2/groups/{group_id}").status_code == 204
    assert admin.get(f"/api/content/v2/groups/{group_id}").status_code == 404


def test_group_membership_change_is_all_or_nothing(admin: Api) -> None:
    ann_id, _ = admin.new_user("Ann")
    group_id = admin.post("/api/content/v2/groups", json={"name": "G"}).json()["id"]
    response = admin.put(
        "/api/content/v2/groups/access",
        json=[
            {
                "groupId": group_id,
                "addMembers": [{"type": "USER", "id": ann_id}, {"type": "USER", "id": 424242}],
            }
        ],
    )
    assert response.status_code == 400
    assert admin.get(f"/api/content/v2/groups/{group_id}").json()["userIds"] == []


def test_participants_cannot_manage_groups(admin: Api) -> None:
    _, token = admin.new_user("Pat", role=4)
    assert admin.as_(token).post("/api/content/v2/groups", json={"name": "X"}).status_code == 403
    assert admin.post("/api/content/v2/groups", json={"name": "X"}).status_code == 201
    assert admin.post("/api/content/v2/groups", json={"name": "X"}).status_code == 409
