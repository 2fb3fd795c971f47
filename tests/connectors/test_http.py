"""The `http` connector against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pyarrow as pa
import pytest

from headwater.connectors.builtin.http import HttpConnector
from headwater.connectors.sdk import Checkpoint, TerminalError, TransientError
from headwater.domain.errors import InvalidInput
from headwater.testing import check_connector, read_all
from tests.connectors.http_support import DataServer, Reply, Request, json_reply, text_reply

PEOPLE = [{"id": i, "name": n} for i, n in enumerate(["ann", "bob", "cy", "di", "ed"], 1)]


@pytest.fixture
def server() -> Iterator[DataServer]:
    with DataServer() as running:
        yield running


def ids(table: pa.Table | None) -> list[Any]:
    assert table is not None
    return table.column("id").to_pylist()


def batches_before_error(connector: HttpConnector, config: dict[str, Any]) -> list[Any]:
    """What read() yielded before it raised: a failed request must not leave rows behind."""
    yielded: list[Any] = []
    with pytest.raises((TerminalError, TransientError)):
        yielded.extend(connector.read(config, {}))  # keeps what came before the error
    return yielded


# ------------------------------------------------------------------------- formats


def test_csv_keeps_the_contract(server: DataServer) -> None:
    server.routes["/people"] = lambda _: text_reply("id,name\n1,ann\n2,bob\n", "text/csv")
    result = check_connector(HttpConnector(), {"url": server.url("/people")})
    assert [c.name for c in result.columns] == ["id", "name"]
    assert result.table.column("name").to_pylist() == ["ann", "bob"]


def test_json_records_at_records_path_keep_the_contract(server: DataServer) -> None:
    document = {"data": {"items": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}]}}
    server.routes["/api/people"] = lambda _: json_reply(document)
    config = {"url": server.url("/api/people"), "records_path": "data.items"}
    result = check_connector(HttpConnector(), config)
    assert ids(result.table) == [1, 2]
    assert result.table.column("tags").to_pylist() == ['["a"]', "[]"]  # nested stays JSON


def test_ndjson(server: DataServer) -> None:
    body = "".join(json.dumps(p) + "\n" for p in PEOPLE[:3])
    server.routes["/feed"] = lambda _: text_reply(body, "application/x-ndjson")
    result = check_connector(HttpConnector(), {"url": server.url("/feed")})
    assert ids(result.table) == [1, 2, 3]


def test_format_by_url_suffix_or_set_explicitly(server: DataServer) -> None:
    ndjson = "".join(json.dumps(p) + "\n" for p in PEOPLE[:2])
    server.routes["/export.ndjson"] = lambda _: text_reply(ndjson, "text/plain")
    server.routes["/export"] = lambda _: text_reply("id;name\n1;ann\n", "text/plain")
    table, _ = read_all(HttpConnector(), {"url": server.url("/export.ndjson")})
    assert ids(table) == [1, 2]
    config = {"url": server.url("/export"), "format": "csv", "delimiter": ";"}
    assert ids(read_all(HttpConnector(), config)[0]) == [1]
    with pytest.raises(TerminalError, match=r"cannot tell the format of .*/export"):
        read_all(HttpConnector(), {"url": server.url("/export")})


def test_a_large_csv_streams_in_several_batches(server: DataServer) -> None:
    rows = 400_000
    body = "id,name\n" + "".join(f"{i},name_{i:06d}\n" for i in range(rows))
    server.routes["/big.csv"] = lambda _: text_reply(body, "text/csv")
    items = list(HttpConnector().read({"url": server.url("/big.csv")}, {}))
    assert len(items) > 1
    assert sum(b.num_rows for b in items) == rows


def test_malformed_json_is_terminal(server: DataServer) -> None:
    server.routes["/broken"] = lambda _: text_reply('{"items": [1,', "application/json")
    with pytest.raises(TerminalError, match=r"/broken is not valid json"):
        read_all(HttpConnector(), {"url": server.url("/broken")})


# ------------------------------------------------------------------------- pagination


def _paged(request: Request, size: int = 2) -> tuple[list[dict[str, Any]], int]:
    page = int(request.query.get("page", "1"))
    return PEOPLE[(page - 1) * size : page * size], page


def test_next_link_from_the_body(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        items, page = _paged(request)
        more = page * 2 < len(PEOPLE)
        return json_reply(
            {"items": items, "links": {"next": f"?page={page + 1}" if more else None}}
        )

    server.routes["/v1/people"] = route
    config = {
        "url": server.url("/v1/people"),
        "records_path": "items",
        "pagination": "next_link",
        "next_path": "links.next",
    }
    table, _ = read_all(HttpConnector(), config)
    assert ids(table) == [1, 2, 3, 4, 5]
    assert [r.query.get("page") for r in server.seen("/v1/people")] == [None, "2", "3"]


def test_next_link_from_the_link_header(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        items, page = _paged(request)
        if page * 2 >= len(PEOPLE):
            return json_reply(items)
        link = (
            f'<{server.url("/people")}?page={page + 1}>; rel="next", </people?page=3>; rel="last"'
        )
        return json_reply(items, Link=link)

    server.routes["/people"] = route
    config = {"url": server.url("/people"), "pagination": "next_link"}
    result = check_connector(HttpConnector(), config)
    assert ids(result.table) == [1, 2, 3, 4, 5]


def test_page_number_until_a_page_has_no_records(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        size = int(request.query["per_page"])
        return json_reply({"results": _paged(request, size)[0]})

    server.routes["/people"] = route
    config = {
        "url": server.url("/people?sort=name"),  # its own query is kept
        "params": {"status": "active"},
        "records_path": "results",
        "pagination": "page_number",
        "page_size_param": "per_page",
        "page_size": 2,
    }
    table, _ = read_all(HttpConnector(), config)
    assert ids(table) == [1, 2, 3, 4, 5]
    sent = [(r.query["page"], r.query["per_page"]) for r in server.seen("/people")]
    assert sent == [("1", "2"), ("2", "2"), ("3", "2"), ("4", "2")]
    assert all(r.query["sort"] == "name" for r in server.requests)
    assert all(r.query["status"] == "active" for r in server.requests)


def test_page_number_over_csv_pages_from_page_zero(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        page = int(request.query["p"])
        rows = "".join(f"{p['id']},{p['name']}\n" for p in PEOPLE[page * 2 : page * 2 + 2])
        return text_reply("id,name\n" + rows, "text/csv")

    server.routes["/people.csv"] = route
    config = {
        "url": server.url("/people.csv"),
        "pagination": "page_number",
        "page_param": "p",
        "page_start": 0,
    }
    result = check_connector(HttpConnector(), config)
    assert ids(result.table) == [1, 2, 3, 4, 5]


def test_cursor_until_there_is_none(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        start = int(request.query.get("after") or 0)
        items = PEOPLE[start : start + 2]
        last = start + len(items) >= len(PEOPLE)
        return json_reply({"data": items, "meta": {"next": "" if last else str(start + 2)}})

    server.routes["/people"] = route
    config = {
        "url": server.url("/people"),
        "params": {"sort": "id"},
        "records_path": "data",
        "pagination": "cursor",
        "cursor_path": "meta.next",
        "cursor_param": "after",
    }
    table, _ = read_all(HttpConnector(), config)
    assert ids(table) == [1, 2, 3, 4, 5]
    sent = [(r.query.get("after"), r.query["sort"]) for r in server.seen("/people")]
    assert sent == [(None, "id"), ("2", "id"), ("4", "id")]


def test_incomplete_or_contradictory_settings_are_refused(server: DataServer) -> None:
    with pytest.raises(InvalidInput, match="configuration 'cursor_path' is required"):
        read_all(HttpConnector(), {"url": server.url("/"), "pagination": "cursor"})
    both = {"url": server.url("/"), "token": "t", "username": "ann"}
    with pytest.raises(TerminalError, match="either token or username/password"):
        HttpConnector().check(both)
    assert server.requests == []


def test_max_pages_stops_a_source_that_never_ends(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        return json_reply([{"id": page}], Link=f'</forever?page={page + 1}>; rel="next"')

    server.routes["/forever"] = route
    config = {"url": server.url("/forever"), "pagination": "next_link", "max_pages": 3}
    table, _ = read_all(HttpConnector(), config)
    assert ids(table) == [1, 2, 3]
    assert len(server.seen("/forever")) == 3


# ------------------------------------------------------------------------- authentication


def _guarded(server: DataServer, path: str, expected: str) -> None:
    def route(request: Request) -> Reply:
        if request.headers.get("authorization") != expected:
            return Reply(401, b'{"error": "who are you?"}', {"Content-Type": "application/json"})
        return json_reply(PEOPLE[:2])

    server.routes[path] = route


def test_bearer_token_accepted_and_a_wrong_one_is_terminal(server: DataServer) -> None:
    _guarded(server, "/private", "Bearer good-token")
    config = {"url": server.url("/private"), "token": "good-token"}
    assert ids(check_connector(HttpConnector(), config).table) == [1, 2]

    wrong = {"url": server.url("/private"), "token": "bad-token"}
    expected = f"authentication failed (HTTP 401) at {server.url('/private')}"
    with pytest.raises(TerminalError) as raised:
        HttpConnector().check(wrong)
    assert str(raised.value) == expected
    assert batches_before_error(HttpConnector(), wrong) == []


def test_basic_auth_and_api_key_header(server: DataServer) -> None:
    _guarded(server, "/basic", "Basic " + base64.b64encode(b"ann:s3cret").decode())
    config = {"url": server.url("/basic"), "username": "ann", "password": "s3cret"}
    assert ids(read_all(HttpConnector(), config)[0]) == [1, 2]

    server.routes["/keyed"] = lambda r: (
        json_reply(PEOPLE[:1]) if r.headers.get("x-token") == "k-123" else Reply(403)
    )
    config = {"url": server.url("/keyed"), "api_key": "k-123", "api_key_header": "X-Token"}
    assert ids(read_all(HttpConnector(), config)[0]) == [1]
    with pytest.raises(TerminalError, match=r"authentication failed \(HTTP 403\)"):
        read_all(HttpConnector(), {**config, "api_key": "nope"})


def test_credentials_are_not_sent_to_another_origin(server: DataServer) -> None:
    # 127.0.0.1 and localhost are different origins, served by the same server.
    server.routes["/first"] = lambda _: json_reply(
        [{"id": 1}], Link=f'<{server.url("/second", host="localhost")}>; rel="next"'
    )
    server.routes["/second"] = lambda _: json_reply([{"id": 2}])
    config = {
        "url": server.url("/first"),
        "pagination": "next_link",
        "token": "t0p",
        "api_key": "k3y",
        "headers": {"Accept": "application/json"},
    }
    assert ids(read_all(HttpConnector(), config)[0]) == [1, 2]
    first, second = server.seen("/first")[0], server.seen("/second")[0]
    assert first.headers["authorization"] == "Bearer t0p"
    assert first.headers["x-api-key"] == "k3y"
    assert "authorization" not in second.headers
    assert "x-api-key" not in second.headers
    assert second.headers["accept"] == "application/json"

    # Nor through a redirect.
    server.requests.clear()
    target = server.url("/second", host="localhost")
    server.routes["/moved"] = lambda _: Reply(302, b"", {"Location": target})
    assert ids(read_all(HttpConnector(), {**config, "url": server.url("/moved")})[0]) == [2]
    assert server.seen("/moved")[0].headers["x-api-key"] == "k3y"
    assert "x-api-key" not in server.seen("/second")[0].headers
    assert "authorization" not in server.seen("/second")[0].headers


# ------------------------------------------------------------------------- failures


def test_503_is_transient(server: DataServer) -> None:
    server.routes["/busy"] = lambda _: Reply(503, b"try later")
    with pytest.raises(TransientError, match=r"HTTP 503 .* at http://127\.0\.0\.1:\d+/busy") as e:
        list(HttpConnector().read({"url": server.url("/busy")}, {}))
    assert e.value.retry_after is None


def test_429_passes_retry_after_seconds_or_date(server: DataServer) -> None:
    server.routes["/limited"] = lambda _: Reply(429, b"", {"Retry-After": "2"})
    with pytest.raises(TransientError) as raised:
        list(HttpConnector().read({"url": server.url("/limited")}, {}))
    assert raised.value.retry_after == 2

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.routes["/limited"] = lambda _: Reply(429, b"", {"Retry-After": later})
    with pytest.raises(TransientError) as raised:
        HttpConnector().check({"url": server.url("/limited")})
    assert raised.value.retry_after is not None
    assert 25 <= raised.value.retry_after <= 30


def test_other_4xx_is_terminal_and_names_status_and_url(server: DataServer) -> None:
    config = {"url": server.url("/missing"), "params": {"api_key": "s3cret", "q": "x"}}
    with pytest.raises(TerminalError) as raised:
        list(HttpConnector().read(config, {}))
    message = str(raised.value)
    assert "HTTP 404" in message
    assert server.url("/missing") in message
    assert "s3cret" not in message  # secret-looking query values are masked


def test_connection_refused_and_timeout_are_transient(server: DataServer) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(TransientError, match="cannot reach"):
        HttpConnector().check({"url": f"http://127.0.0.1:{closed}/x.csv"})

    def slow(_: Request) -> Reply:
        server.released.wait(5)
        return json_reply([])

    server.routes["/slow"] = slow
    with pytest.raises(TransientError, match="timed out"):
        list(HttpConnector(timeout_seconds=0.2).read({"url": server.url("/slow")}, {}))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.csv"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(TerminalError, match="only http:// and https://"):
        HttpConnector().check({"url": url})
    with pytest.raises(InvalidInput, match="does not match"):
        read_all(HttpConnector(), {"url": url})


# ------------------------------------------------------------------------- incremental

EVENTS = [
    {"id": 1, "updated": "2024-01-01T10:00:00Z"},
    {"id": 2, "updated": "2024-01-02T10:00:00Z"},
    {"id": 3, "updated": "2024-01-03T10:00:00Z"},
]


def test_incremental_sends_the_last_maximum_and_reads_only_newer(server: DataServer) -> None:
    events = list(EVENTS)

    def route(request: Request) -> Reply:
        since = request.query.get("updated_since", "")
        newer = [e for e in events if e["updated"] > since]
        page = int(request.query["page"])
        return json_reply(newer[(page - 1) * 2 : page * 2])

    server.routes["/events"] = route
    config = {
        "url": server.url("/events"),
        "pagination": "page_number",
        "cursor_field": "updated",
        "since_param": "updated_since",
    }
    first = check_connector(HttpConnector(), config, incremental=True)
    assert ids(first.table) == [1, 2, 3]
    assert first.final_state == {"since": "2024-01-03T10:00:00Z"}

    events += [{"id": 4, "updated": "2024-01-04T10:00:00Z"}]
    server.requests.clear()
    table, states = read_all(HttpConnector(), config, first.final_state)
    assert ids(table) == [4]
    assert states[-1] == {"since": "2024-01-04T10:00:00Z"}
    assert {r.query["updated_since"] for r in server.requests} == {"2024-01-03T10:00:00Z"}


def test_incremental_without_server_filter_still_reads_each_record_once(
    server: DataServer,
) -> None:
    events = list(EVENTS)
    body = lambda: "".join(json.dumps(e) + "\n" for e in events)  # noqa: E731
    server.routes["/events.ndjson"] = lambda _: text_reply(body(), "application/x-ndjson")
    config = {"url": server.url("/events.ndjson"), "cursor_field": "id"}
    first = check_connector(HttpConnector(), config, incremental=True)
    assert ids(first.table) == [1, 2, 3]
    events += [{"id": 10, "updated": "2024-01-04T10:00:00Z"}]
    table, states = read_all(HttpConnector(), config, first.final_state)
    assert ids(table) == [10]
    assert states == [{"since": 10}]


def test_checkpoints_follow_their_page(server: DataServer) -> None:
    def route(request: Request) -> Reply:
        return json_reply(_paged(request)[0])

    server.routes["/events"] = route
    config = {"url": server.url("/events"), "pagination": "page_number", "cursor_field": "id"}
    items = list(HttpConnector().read(config, {}))
    kinds = ["batch" if isinstance(i, pa.RecordBatch) else i.state["since"] for i in items]
    assert kinds == ["batch", 2, "batch", 4, "batch", 5, 5]  # the 4th page is empty
    assert all(isinstance(i, (pa.RecordBatch, Checkpoint)) for i in items)
