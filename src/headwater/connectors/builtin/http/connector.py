"""GET data from an HTTP(S) URL, page after page.

Each page's body is streamed to a temporary file, then read from it with the shared format
readers: CSV, TSV, NDJSON and Parquet stay bounded in memory however large the page, and a
JSON page is parsed whole (JSON cannot be streamed), one page at a time.

Pagination follows a next link (in the JSON body or the `Link` header), counts page numbers
until a page has no records, or passes on a cursor found in the body; `max_pages` stops a
source that never ends. Credentials are sent only to the origin of the configured URL, so a
next link or a redirect to another host never receives them. The URL read is `url` with
`path` joined to it; `path` can never leave url's origin, so a stream using an account (which
owns `url`) chooses what to read there, never where the credentials go.

Every connection (redirects and next links included) passes the egress policy: the name is
resolved once, every address checked, and a checked one connected to (`egress_http`).

Incremental reads keep the largest `cursor_field` seen (see `_since`), send it as
`since_param` so the source returns only newer records, and checkpoint it after each page.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx
import pyarrow as pa

from headwater.connectors import egress, egress_http
from headwater.connectors.bad_data import bad_data_is_terminal
from headwater.connectors.builtin.http._since import later, newer
from headwater.connectors.builtin.http._transport import Fetched, fetch, probe, shown
from headwater.connectors.builtin.http.spec import DEFAULTS, SPEC
from headwater.connectors.sdk import Checkpoint, TerminalError
from headwater.domain.datasets import Column
from headwater.domain.errors import BadData
from headwater.tabular.file_formats import format_of, read_batches, records_at, records_to_batches
from headwater.tabular.types import columns_from_arrow

log = logging.getLogger(__name__)


class HttpConnector:
    """An HTTP(S) URL returning CSV, TSV, JSON, NDJSON or Parquet, read in one request or
    page after page (next link, page number or cursor), with bearer, basic or API-key
    authentication.

    Operator options: `timeout_seconds` (per request: connect, and each read), `verify_tls`
    (check server certificates) and `user_agent`.
    """

    name = "http"

    def __init__(
        self,
        timeout_seconds: float = 30.0,
        verify_tls: bool = True,
        user_agent: str = "headwater",
    ) -> None:
        self._timeout = timeout_seconds
        self._verify = verify_tls
        self._user_agent = user_agent

    def spec(self) -> dict[str, Any]:
        return SPEC

    def check(self, config: Mapping[str, Any]) -> None:
        _validate(config)
        first = _first_request(config, since=None)
        with self._client(config) as client:
            probe(client, first.full_url)

    def discover(self, config: Mapping[str, Any]) -> list[Column]:
        _validate(config)
        with closing(self._batches(config, since=None)) as batches:
            for batch in batches:
                if batch.num_rows:
                    return columns_from_arrow(batch.schema)
        raise TerminalError(
            f"{shown(config['url'])} returned no records, so there is no schema yet"
        )

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint]:
        _validate(config)
        cursor_field = config.get("cursor_field")
        since = state.get("since") if cursor_field else None
        highest = None
        for page in self._pages(config, since):
            for batch in page.batches():
                if cursor_field:
                    batch, top = newer(batch, cursor_field, since)
                    highest = later(highest, top)
                if batch.num_rows:
                    yield batch
            mark = highest if highest is not None else since
            if cursor_field and mark is not None:
                yield Checkpoint({"since": mark})

    def _batches(
        self, config: Mapping[str, Any], since: Any
    ) -> Generator[pa.RecordBatch, None, None]:
        for page in self._pages(config, since):
            yield from page.batches()

    def _pages(self, config: Mapping[str, Any], since: Any) -> Iterator[_Page]:
        """Each page in turn; a page's batches must be read before asking for the next."""
        request: _Request | None = _first_request(config, since)
        max_pages = int(_option(config, "max_pages"))
        asked: set[str] = set()
        with self._client(config) as client:
            while request is not None:
                if len(asked) == max_pages:
                    log.warning("stopped after max_pages=%d; %s has more", max_pages, request.url)
                    return
                asked.add(str(request.full_url))
                with fetch(client, request.full_url) as fetched:
                    page = _Page(fetched, config)
                    yield page
                    request = _next_request(config, request, page)
                if request is not None and str(request.full_url) in asked:
                    log.warning("%s points back to a page already read; stopping", page.where)
                    return

    def _client(self, config: Mapping[str, Any]) -> httpx.Client:
        credentials = _credentials(config)
        home = _origin(httpx.URL(config["url"]))
        transport = egress_http.transport(egress.current(), config["url"], self._verify)

        def authorize(request: httpx.Request) -> None:
            # Runs for every request, redirects included: credentials go to the home origin only.
            at_home = _origin(request.url) == home
            for name, value in credentials.items():
                if at_home:
                    request.headers[name] = value
                else:
                    request.headers.pop(name, None)

        return httpx.Client(
            timeout=httpx.Timeout(self._timeout),
            follow_redirects=True,
            transport=transport,
            headers={"User-Agent": self._user_agent, **(config.get("headers") or {})},
            event_hooks={"request": [authorize]},
        )


@dataclass(frozen=True)
class _Request:
    url: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def full_url(self) -> httpx.URL:
        """`url` with `params` added to its own query (httpx would replace that query)."""
        try:
            return httpx.URL(self.url).copy_merge_params(self.params)
        except httpx.InvalidURL as exc:
            raise TerminalError(f"invalid URL {self.url!r}: {exc}") from None


class _Page:
    """One response: its format, its parsed JSON document if it is JSON, and its batches."""

    def __init__(self, fetched: Fetched, config: Mapping[str, Any]) -> None:
        self.url = fetched.url
        self.where = shown(fetched.url)
        self.links = fetched.links
        self.rows = 0
        self._config = config
        self._body = fetched.body
        self._empty = _is_empty(fetched)
        self.format = _format(config, fetched, self.where)
        self.document: Any = None
        if self.format == "json" and not self._empty:
            try:
                self.document = json.load(self._body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise TerminalError(f"{self.where} is not valid json: {exc}") from None

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self._empty:
            return
        try:
            for batch in self._decoded():
                self.rows += batch.num_rows
                yield batch
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # records of mixed types
            raise TerminalError(f"{self.where}: the records do not form a table: {exc}") from None

    def _decoded(self) -> Iterator[pa.RecordBatch]:
        with bad_data_is_terminal():
            if self.format == "json":
                records = records_at(self.document, self._config.get("records_path"), self.where)
                yield from records_to_batches(records)
            else:
                yield from read_batches(
                    self._body,
                    self.format,
                    name=self.where,
                    header=bool(_option(self._config, "header")),
                    delimiter=self._config.get("delimiter"),
                )

    def body_value(self, path: str, purpose: str) -> Any:
        """The value at dotted `path` in the JSON body, None if there is none."""
        if self.format != "json":
            raise TerminalError(
                f"{purpose} is read from a JSON body, but {self.where} returned {self.format}"
            )
        return _value_at(self.document, path)


def _first_request(config: Mapping[str, Any], since: Any) -> _Request:
    params = dict(config.get("params") or {})
    since_param = config.get("since_param")
    if since_param and since is not None:
        params[since_param] = since
    if _option(config, "pagination") == "page_number":
        params[_option(config, "page_param")] = int(_option(config, "page_start"))
        if config.get("page_size_param") and config.get("page_size"):
            params[config["page_size_param"]] = config["page_size"]
    return _Request(_joined(config), params)


def _joined(config: Mapping[str, Any]) -> str:
    """`url` with `path` joined to it, refused if that would leave url's origin."""
    url, path = str(config["url"]), config.get("path")
    if not path:
        return url
    try:
        base = httpx.URL(url)
        if not base.path.endswith("/"):  # `orders` under .../v1 is .../v1/orders
            base = base.copy_with(path=base.path + "/")
        joined = base.join(str(path))
    except httpx.InvalidURL as exc:
        raise TerminalError(f"invalid path {path!r}: {exc}") from None
    if _origin(joined) != _origin(base):
        raise TerminalError(f"path {path!r} would leave {shown(url)}; it must stay under url")
    return str(joined)


def _next_request(config: Mapping[str, Any], request: _Request, page: _Page) -> _Request | None:
    """What to ask for after `page`, None when it was the last."""
    pagination = _option(config, "pagination")
    if pagination == "next_link":
        if config.get("next_path"):
            target = page.body_value(config["next_path"], "next_path")
        else:
            target = (page.links.get("next") or {}).get("url")
        if target is None or target == "":
            return None
        if not isinstance(target, str):
            raise TerminalError(f"{page.where}: next_path holds {target!r}, not a URL")
        url = urljoin(str(page.url), target)
        _ensure_http(url)
        return _Request(url)  # a next link carries its own query
    if pagination == "page_number":
        if page.rows == 0:
            return None
        name = _option(config, "page_param")
        return _Request(request.url, {**request.params, name: int(request.params[name]) + 1})
    if pagination == "cursor":
        cursor = page.body_value(config["cursor_path"], "cursor_path")
        if cursor is None or cursor == "":
            return None
        if isinstance(cursor, (Mapping, list)):
            raise TerminalError(f"{page.where}: cursor_path holds {cursor!r}, not a cursor")
        return _Request(request.url, {**request.params, config["cursor_param"]: cursor})
    return None


def _format(config: Mapping[str, Any], fetched: Fetched, where: str) -> str:
    wanted = str(_option(config, "format"))
    media_type = (fetched.media_type or "").split(";")[0].strip().lower()
    if wanted == "auto" and media_type.endswith("+json"):  # application/vnd.api+json, ...
        return "json"
    try:
        return format_of(fetched.url.path, wanted, media_type or None)
    except BadData:
        raise TerminalError(
            f"cannot tell the format of {where} (Content-Type {media_type or 'missing'}); "
            "set format"
        ) from None


def _is_empty(fetched: Fetched) -> bool:
    body = fetched.body
    empty = not body.read(1)
    body.seek(0)
    return empty


def _value_at(document: Any, path: str) -> Any:
    node = document
    for step in [p for p in path.split(".") if p]:
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


def _credentials(config: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    if config.get("token"):
        headers["Authorization"] = f"Bearer {config['token']}"
    elif config.get("username"):
        pair = f"{config['username']}:{config.get('password') or ''}".encode()
        headers["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
    if config.get("api_key"):
        headers[str(_option(config, "api_key_header"))] = str(config["api_key"])
    return headers


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _validate(config: Mapping[str, Any]) -> None:
    """What the spec cannot say, or says for a config that did not go through it."""
    _ensure_http(str(config.get("url", "")))
    if config.get("token") and config.get("username"):
        raise TerminalError("set either token or username/password, not both")
    pagination = _option(config, "pagination")
    if pagination == "cursor" and not (config.get("cursor_path") and config.get("cursor_param")):
        raise TerminalError("pagination 'cursor' needs cursor_path and cursor_param")
    if config.get("since_param") and not config.get("cursor_field"):
        raise TerminalError("since_param needs cursor_field: the field whose maximum it sends")


def _ensure_http(url: str) -> None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise TerminalError(f"only http:// and https:// URLs can be read, not {url!r}")


def _option(config: Mapping[str, Any], name: str) -> Any:
    value = config.get(name)
    return DEFAULTS[name] if value is None else value
