"""Locked out and back in, with real processes: `headwater serve` refuses to revoke the last
admin token; when every admin token is gone anyway (here: revoked in the database, as the
API no longer allows), `headwater admin reset-token` run beside the server, with its settings,
prints a token the running server accepts. A restart with HEADWATER_ADMIN_TOKEN does not bring
a revoked token back (it is for the first start only); it says how to recover instead."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-recovery-admin"


def _metadata(server: Server) -> sa.Engine:
    url = (
        server.env.get("HEADWATER_DATABASE_URL") or f"sqlite:///{server.data_dir / 'headwater.db'}"
    )
    return sa.create_engine(url)


def _me(server: Server, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/content/v2/users/me", headers={"X-DOMO-Developer-Token": token}
    )


def test_reset_token_lets_the_admin_back_into_a_running_server(
    server_factory: type[Server],
) -> None:
    server = server_factory(admin_token=TOKEN)
    server.start()
    headers = {"X-DOMO-Developer-Token": TOKEN}
    (only,) = httpx.get(f"{server.url}/api/data/v1/accesstokens", headers=headers).json()
    refused = httpx.delete(f"{server.url}/api/data/v1/accesstokens/{only['id']}", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "LAST_ADMIN"

    engine = _metadata(server)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE access_tokens SET revoked_at = :now"), {"now": datetime.now(UTC)}
        )
    engine.dispose()
    assert _me(server, TOKEN).status_code == 401

    reset = subprocess.run(
        [
            sys.executable,
            "-m",
            "headwater",
            "admin",
            "reset-token",
            "--data-dir",
            str(server.data_dir),
        ],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert reset.returncode == 0, reset.stderr
    secret = reset.stdout.strip()
    assert secret.startswith("hw_")
    assert "not shown again" in reset.stderr
    me = _me(server, secret)
    assert me.status_code == 200
    assert me.json()["roleId"] == 1

    # Restarting with the old HEADWATER_ADMIN_TOKEN does not revive it; the start says how
    # to recover when no admin token is usable.
    server.stop()
    again = server_factory(admin_token=TOKEN)
    again.start()
    assert _me(again, TOKEN).status_code == 401
    assert _me(again, secret).status_code == 200
    assert "reset-token" not in again.stop()
    engine = _metadata(again)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE access_tokens SET revoked_at = :now"), {"now": datetime.now(UTC)}
        )
    engine.dispose()
    locked = server_factory(admin_token=TOKEN)
    locked.start()
    assert _me(locked, TOKEN).status_code == 401
    assert "headwater admin reset-token" in locked.stop()
