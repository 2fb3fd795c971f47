"""Accounts: secrets encrypted at rest, masked on every read, shared like datasets."""

from __future__ import annotations

import os
import stat

import sqlalchemy as sa

from tests.api.conftest import Api

SECRET = "s3cr3t-Pa55word-value"


def create(api: Api, **extra: object) -> dict:  # type: ignore[type-arg]
    body = {
        "name": "warehouse",
        "displayName": "Warehouse",
        "dataProviderType": "postgresql",
        "configurations": [
            {"name": "host", "value": "db.local", "type": "string"},
            {"name": "password", "value": SECRET, "type": "password"},
        ],
        **extra,
    }
    response = api.post("/api/data/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_secrets_are_masked_on_every_read(admin: Api) -> None:
    created = create(admin)
    values = {c["name"]: c["value"] for c in created["configurations"]}
    assert values == {"host": "db.local", "password": "********"}
    for body in (
        admin.get(f"/api/data/v1/accounts/{created['id']}").text,
        admin.get("/api/data/v1/accounts").text,
    ):
        assert SECRET not in body
        assert "db.local" in body


def test_secrets_are_encrypted_at_rest(admin: Api, runtime, settings) -> None:  # type: ignore[no-untyped-def]
    create(admin)
    with runtime.engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT configuration_sealed FROM accounts")
        ).scalar_one()
    assert SECRET.encode() not in bytes(stored)
    assert b"db.local" not in bytes(stored)
    key_file = settings.data_dir / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_update_keeps_secrets_not_sent_and_changes_others(admin: Api) -> None:
    account_id = create(admin)["id"]
    renamed = admin.put(f"/api/data/v1/accounts/{account_id}", json={"displayName": "Prod"})
    assert renamed.status_code == 200
    assert renamed.json()["displayName"] == "Prod"
    # The host says where the password goes: moving it needs the password sent again.
    moved = admin.put(
        f"/api/data/v1/accounts/{account_id}", json={"configurations": {"host": "prod.local"}}
    )
    assert (moved.status_code, moved.json()["field"]) == (400, "configurations.password")
    response = admin.put(
        f"/api/data/v1/accounts/{account_id}",
        json={"configurations": {"host": "prod.local", "password": "again"}},
    )
    assert response.status_code == 200
    values = {c["name"]: c["value"] for c in response.json()["configurations"]}
    assert values == {"host": "prod.local", "password": "********"}


def test_accounts_are_private_until_shared(admin: Api) -> None:
    _, ann = admin.new_user("Ann")
    bob_id, bob = admin.new_user("Bob")
    account_id = create(admin.as_(ann))["id"]
    assert admin.as_(bob).get(f"/api/data/v1/accounts/{account_id}").status_code == 404
    assert admin.as_(bob).get("/api/data/v1/accounts").json() == []
    shared = admin.as_(ann).post(
        f"/api/data/v1/accounts/{account_id}/share",
        json={"permissions": [{"type": "USER", "id": bob_id, "accessLevel": "CAN_VIEW"}]},
    )
    assert shared.status_code == 200
    assert admin.as_(bob).get(f"/api/data/v1/accounts/{account_id}").status_code == 200
    assert admin.as_(bob).delete(f"/api/data/v1/accounts/{account_id}").status_code == 403
    admin.as_(ann).delete(f"/api/data/v1/accounts/{account_id}/permissions/USER/{bob_id}")
    assert admin.as_(bob).get(f"/api/data/v1/accounts/{account_id}").status_code == 404


def test_delete_and_validation(admin: Api) -> None:
    account_id = create(admin)["id"]
    assert admin.delete(f"/api/data/v1/accounts/{account_id}").status_code == 204
    assert admin.get(f"/api/data/v1/accounts/{account_id}").status_code == 404
    missing = admin.post("/api/data/v1/accounts", json={"name": "x"})
    assert missing.status_code == 400
    assert missing.json()["field"] == "dataProviderType"
