"""The last admin keeps a usable token: revoking it, or demoting or deleting the one admin who
still holds one, is a 409 (issue 15: the only admin could revoke their last token and lock the
instance out for good)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from headwater.adapters.metadata.unit_of_work import SqlUnitOfWorkFactory
from headwater.adapters.secrets.fernet_box import FernetSecretBox
from headwater.bootstrap import Runtime
from headwater.domain.errors import Conflict
from headwater.domain.users import Principal
from headwater.services.identity.admin_access import keeps_admin_access
from tests.api.conftest import Api
from tests.api.test_public_oauth import bearer, new_client, token_for


def _me(api: Api) -> int:
    return int(api.get("/api/content/v2/users/me").json()["id"])


def _token_ids(api: Api) -> list[int]:
    """The caller's own tokens (an admin's list shows everyone's)."""
    me = _me(api)
    return [t["id"] for t in api.get("/api/data/v1/accesstokens").json() if t["ownerId"] == me]


def test_the_only_admin_cannot_revoke_their_last_token(admin: Api) -> None:
    (only,) = _token_ids(admin)
    refused = admin.delete(f"/api/data/v1/accesstokens/{only}")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "LAST_ADMIN"
    assert "no admin with an access token that does not expire" in body["message"]
    assert "headwater admin reset-token" in body["message"]
    assert admin.get("/api/content/v2/users/me").status_code == 200  # still works

    # With a second token, the first may go; then the second is the last one.
    second = admin.post("/api/data/v1/accesstokens", json={"name": "spare"}).json()
    assert admin.delete(f"/api/data/v1/accesstokens/{only}").status_code == 204
    spare = admin.as_(second["token"])
    assert spare.delete(f"/api/data/v1/accesstokens/{second['id']}").status_code == 409
    assert spare.get("/api/content/v2/users/me").status_code == 200


def test_another_admins_token_counts(admin: Api) -> None:
    _, ada_token = admin.new_user("Ada", role=1)
    (mine,) = _token_ids(admin)
    assert admin.delete(f"/api/data/v1/accesstokens/{mine}").status_code == 204
    ada = admin.as_(ada_token)
    (adas,) = _token_ids(ada)
    assert ada.delete(f"/api/data/v1/accesstokens/{adas}").status_code == 409


def test_an_expired_token_does_not_count(admin: Api, runtime: Runtime) -> None:
    """The spare token has expired: revoking the admin's other one would lock everyone out."""
    spare = admin.post("/api/data/v1/accesstokens", json={"name": "spare"}).json()
    with runtime.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE access_tokens SET expires_at = :past WHERE id = :id"),
            {"past": datetime.now(UTC) - timedelta(days=1), "id": spare["id"]},
        )
    assert admin.as_(spare["token"]).get("/api/content/v2/users/me").status_code == 401
    (first,) = [t for t in _token_ids(admin) if t != spare["id"]]
    refused = admin.delete(f"/api/data/v1/accesstokens/{first}")
    assert refused.status_code == 409, refused.text


def test_a_token_that_will_expire_does_not_count(admin: Api) -> None:
    """The red team's lock-out: an admin token expiring in seconds let the last lasting one
    be revoked, then ran out. Only a token that never expires keeps the way in."""
    expiring = admin.post(
        "/api/data/v1/accesstokens",
        json={"name": "soon", "expires": int((time.time() + 3600) * 1000)},
    )
    assert expiring.status_code == 201, expiring.text
    (lasting,) = [t for t in _token_ids(admin) if t != expiring.json()["id"]]
    refused = admin.delete(f"/api/data/v1/accesstokens/{lasting}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "LAST_ADMIN"
    spare = admin.post("/api/data/v1/accesstokens", json={"name": "lasting spare"})
    assert admin.delete(f"/api/data/v1/accesstokens/{lasting}").status_code == 204
    assert admin.as_(spare.json()["token"]).get("/api/content/v2/users/me").status_code == 200


def test_non_admin_tokens_are_revoked_as_before(admin: Api) -> None:
    _, ann_token = admin.new_user("Ann")
    ann = admin.as_(ann_token)
    (own,) = _token_ids(ann)
    assert ann.delete(f"/api/data/v1/accesstokens/{own}").status_code == 204
    assert ann.get("/api/content/v2/users/me").status_code == 401


def test_the_admin_holding_the_last_token_cannot_be_demoted_or_deleted(admin: Api) -> None:
    """Ada is an admin who reaches Headwater through an OAuth client (the public API) and has
    revoked her own tokens; the first admin holds the only token left. Ada may not demote or
    delete him: nobody could use the product API as an admin any more."""
    ada_id, ada_token = admin.new_user("Ada", role=1)
    ada = admin.as_(ada_token)
    jwt = token_for(admin, new_client(ada))
    (adas,) = _token_ids(ada)
    assert ada.delete(f"/api/data/v1/accesstokens/{adas}").status_code == 204
    first_admin = _me(admin)

    demoted = admin.client.put(
        f"/v1/users/{first_admin}", json={"role": "Participant"}, headers=bearer(jwt)
    )
    assert demoted.status_code == 409, demoted.text
    assert demoted.json()["code"] == "LAST_ADMIN"
    deleted = admin.client.delete(f"/v1/users/{first_admin}", headers=bearer(jwt))
    assert deleted.status_code == 409, deleted.text
    me = admin.get("/api/content/v2/users/me")
    assert me.status_code == 200
    assert me.json()["roleId"] == 1

    # A rename is no threat, and once Ada holds a token again the demotion goes through.
    renamed = admin.client.put(
        f"/v1/users/{first_admin}", json={"name": "Root"}, headers=bearer(jwt)
    )
    assert renamed.status_code == 200, renamed.text
    admin.post("/api/data/v1/accesstokens", json={"name": "ada", "ownerId": ada_id})
    demoted = admin.client.put(
        f"/v1/users/{first_admin}", json={"role": "Participant"}, headers=bearer(jwt)
    )
    assert demoted.status_code == 200, demoted.text


def test_an_admin_without_tokens_is_deleted_as_before(admin: Api) -> None:
    ada_id, _ = admin.new_user("Ada", role=1)
    client = new_client(admin)
    jwt = token_for(admin, client)
    gone = admin.client.delete(f"/v1/users/{ada_id}", headers=bearer(jwt))
    assert gone.status_code == 204, gone.text


def test_two_revocations_racing_cannot_both_take_the_last_tokens(
    admin: Api, runtime: Runtime, settings
) -> None:  # type: ignore[no-untyped-def]
    """One transaction revokes token A and has checked that token B remains, but has not yet
    committed; a second request revokes token B meanwhile. Without the lock on the admins'
    rows, the second would also see A still usable and both would commit. It must wait, then
    see A gone, and refuse."""
    spare = admin.post("/api/data/v1/accesstokens", json={"name": "spare"}).json()
    (first,) = [t for t in _token_ids(admin) if t != spare["id"]]
    principal = runtime.services.identity.auth.authenticate(spare["token"])
    uow_factory = SqlUnitOfWorkFactory(
        runtime.engine,
        FernetSecretBox.from_settings(settings.secret_key, settings.data_dir / "secret.key"),
    )
    outcome: dict[str, object] = {}

    def revoke_spare(actor: Principal) -> None:
        try:
            runtime.services.identity.tokens.revoke(actor, spare["id"])
            outcome["second"] = "revoked"
        except Conflict as exc:
            outcome["second"] = exc.code

    now = datetime.now(UTC)
    with uow_factory() as uow:
        with keeps_admin_access(uow, now, "the test's revocation"):
            uow.tokens.revoke(first, now)
        racer = threading.Thread(target=revoke_spare, args=(principal,))
        racer.start()
        racer.join(timeout=1.5)
        assert racer.is_alive(), f"the second revocation did not wait: {outcome}"
        uow.commit()
    racer.join(timeout=30)
    assert outcome == {"second": "LAST_ADMIN"}
    assert admin.as_(spare["token"]).get("/api/content/v2/users/me").status_code == 200


@pytest.mark.parametrize("role", ["Participant", "Editor"])
def test_an_admin_still_cannot_demote_themselves(admin: Api, role: str) -> None:
    client = new_client(admin)
    jwt = token_for(admin, client)
    me = _me(admin)
    refused = admin.client.put(f"/v1/users/{me}", json={"role": role}, headers=bearer(jwt))
    assert refused.status_code == 409
    assert refused.json()["code"] == "SELF_ADMIN"


def test_a_refused_delete_leaves_the_user_and_their_tokens(admin: Api) -> None:
    """The admin check runs in the delete's transaction; a delete refused for another reason
    (the user owns a dataset) still rolls back whole, tokens included, on both databases."""
    ann_id, ann_token = admin.new_user("Ann")
    admin.as_(ann_token).new_dataset()
    jwt = token_for(admin, new_client(admin))
    refused = admin.client.delete(f"/v1/users/{ann_id}", headers=bearer(jwt))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "USER_OWNS_DATA"
    assert admin.as_(ann_token).get("/api/content/v2/users/me").status_code == 200
