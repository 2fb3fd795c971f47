"""The last resort (issue 15, item 5): an error no table answers is a logged 500 in the
dialect's envelope, and the client's keep-alive connection stays usable. The real app under
uvicorn, with one route added that fails as a bug would."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.routing import Mount

from headwater.bootstrap import Runtime, build_app
from tests.support.live_server import live_server


def local_port(response: httpx.Response) -> int:
    """The client's own port: the same on two responses means one connection served both."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def test_an_unexpected_error_is_a_logged_500_on_a_kept_connection(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    def bug() -> None:
        raise RuntimeError("a bug nobody foresaw")

    app = build_app(runtime)
    app.add_api_route("/bug", bug)
    feldera = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "/v0")
    feldera.add_api_route("/bug", bug)
    caplog.set_level(logging.ERROR, logger="headwater.api.last_resort")
    with live_server(runtime, app=app) as server, httpx.Client(base_url=server.url) as http:
        first = http.get("/bug")
        assert first.status_code == 500
        body = first.json()
        assert body["code"] == "INTERNAL"
        assert body["toe"] in caplog.text
        assert "a bug nobody foresaw" in caplog.text  # the traceback is in the log

        feldera_bug = http.get("/v0/bug")
        assert feldera_bug.status_code == 500
        assert feldera_bug.json()["error_code"] == "UnknownError"

        after = http.get("/health")
        assert after.status_code == 200
        assert local_port(first) == local_port(feldera_bug) == local_port(after)
