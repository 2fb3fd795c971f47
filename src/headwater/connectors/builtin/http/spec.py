"""Configuration of the `http` connector.

Credentials (`token`, `username`/`password`, `api_key`) usually come from the stream's
account, whose values are merged into the configuration before it is checked here. With an
account, `url` (where the credentials go) is the account's too, and the stream chooses only
the `path` under it.
"""

from typing import Any

from headwater.tabular.file_formats import FORMATS

PAGINATIONS = ("none", "next_link", "page_number", "cursor")

# Defaults of optional fields, shared by the spec and the code (a config arrives without them).
DEFAULTS: dict[str, Any] = {
    "format": "auto",
    "pagination": "none",
    "page_param": "page",
    "page_start": 1,
    "max_pages": 10_000,
    "api_key_header": "X-API-Key",
    "header": True,
}

_SCALAR = {"type": ["string", "number", "integer", "boolean"]}

# Headers that choose the host a request is for, or how its body is framed: a front that
# routes by them (a shared proxy, an ingress, a CDN) would deliver the request, credentials
# included, somewhere `url` does not say.
_ROUTING_HEADERS = (
    r"(?i)^(host|:authority|forwarded|x-forwarded-[a-z-]*|x-real-ip|x-original-url|"
    r"x-rewrite-url|x-host|content-length|transfer-encoding|connection|upgrade|te|trailer|"
    r"proxy-[a-z-]*)$"
)

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "HTTP(S) URL",
    "type": "object",
    "required": ["url"],
    "additionalProperties": False,
    "properties": {
        "url": {
            "type": "string",
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
            "target": "url",
            "description": "The http:// or https:// URL to GET (the first page, if paginated). "
            "With an account, the account's: the base URL its credentials are for.",
        },
        "path": {
            "type": "string",
            "minLength": 1,
            # a relative reference: no scheme, no `//host`, no backslash (some parsers read it
            # as a slash)
            "pattern": r"^(?![A-Za-z][A-Za-z0-9+.-]*:)(?!//)[^\\]*$",
            "description": "A path (and query) under `url`, joined to it (`orders?status=open`, "
            "`/v2/orders`): what a stream using an account chooses. It cannot leave url's "
            "scheme, host and port.",
        },
        "format": {
            "enum": ["auto", *FORMATS],
            "default": DEFAULTS["format"],
            "description": "`auto` decides by the response's Content-Type, then the URL's "
            "suffix (`.csv`, `.json`, `.ndjson`, ...).",
        },
        "records_path": {
            "type": "string",
            "description": "JSON: dotted path to the list of records in each response "
            "(`data.items`); unset if the response is the list itself.",
        },
        "header": {
            "type": "boolean",
            "default": DEFAULTS["header"],
            "description": "CSV/TSV: the first line names the columns.",
        },
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "propertyNames": {"not": {"pattern": _ROUTING_HEADERS}},
            "description": 'Extra request headers (JSON: `{"Accept": "text/csv"}`). Not the '
            "headers that say which host a request is for or how it is framed (`Host`, "
            "`Forwarded`, `X-Forwarded-*`, `Content-Length`, ...): `url` decides the host.",
        },
        "params": {
            "type": "object",
            "additionalProperties": _SCALAR,
            "description": 'Query parameters added to the URL (JSON: `{"status": "open"}`).',
        },
        "pagination": {
            "enum": list(PAGINATIONS),
            "default": DEFAULTS["pagination"],
            "description": "`next_link`: follow the next URL (at `next_path` in the JSON body, "
            'else the `Link: <...>; rel="next"` header) until there is none. `page_number`: '
            "count `page_param` up from `page_start` until a page has no records. `cursor`: "
            "send the cursor found at `cursor_path` as `cursor_param` until there is none.",
        },
        "next_path": {
            "type": "string",
            "description": "next_link: dotted path to the next page's URL in the JSON body "
            "(`links.next`); unset to use the Link header.",
        },
        "page_param": {
            "type": "string",
            "minLength": 1,
            "default": DEFAULTS["page_param"],
            "description": "page_number: query parameter carrying the page number.",
        },
        "page_start": {
            "type": "integer",
            "default": DEFAULTS["page_start"],
            "description": "page_number: number of the first page.",
        },
        "page_size_param": {
            "type": "string",
            "minLength": 1,
            "description": "page_number: query parameter carrying the page size (`per_page`).",
        },
        "page_size": {"type": "integer", "minimum": 1, "description": "page_number: page size."},
        "cursor_path": {
            "type": "string",
            "minLength": 1,
            "description": "cursor: dotted path to the next cursor in the JSON body.",
        },
        "cursor_param": {
            "type": "string",
            "minLength": 1,
            "description": "cursor: query parameter the cursor is sent as.",
        },
        "max_pages": {
            "type": "integer",
            "minimum": 1,
            "default": DEFAULTS["max_pages"],
            "description": "Stop after this many pages, whatever the source says.",
        },
        "token": {
            "type": "string",
            "secret": True,
            "description": "Sent as `Authorization: Bearer <token>`.",
        },
        "username": {
            "type": "string",
            "target": True,
            "description": "HTTP basic authentication.",
        },
        "password": {"type": "string", "secret": True},
        "api_key": {
            "type": "string",
            "secret": True,
            "description": "Sent in the header named by `api_key_header`.",
        },
        "api_key_header": {
            "type": "string",
            "minLength": 1,
            "not": {"pattern": _ROUTING_HEADERS},
            # Where the key goes is the account's choice: a stream could otherwise send it as
            # `Host` and have a shared front route the request to another tenant.
            "target": True,
            "default": DEFAULTS["api_key_header"],
        },
        "cursor_field": {
            "type": "string",
            "minLength": 1,
            "description": "Incremental: a record field that grows with each change "
            "(`updated_at`, an id). Each run keeps only records whose value is above the "
            "last run's maximum; records without a value are read on the first run only.",
        },
        "since_param": {
            "type": "string",
            "minLength": 1,
            "description": "Incremental: query parameter the last run's maximum of "
            "`cursor_field` is sent as, so the source itself returns only newer records.",
        },
    },
    "dependentRequired": {"since_param": ["cursor_field"], "password": ["username"]},
    "allOf": [
        {
            "if": {"properties": {"pagination": {"const": "cursor"}}, "required": ["pagination"]},
            "then": {"required": ["cursor_path", "cursor_param"]},
        },
        {
            "if": {"required": ["page_size"]},
            "then": {"required": ["page_size_param"]},
        },
    ],
}
