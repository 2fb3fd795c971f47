"""Configuration of the `sftp` connector.

`host`, `port`, `username` and `host_key` say where the credentials go ("target"): with an
account they are the account's, and a stream chooses only the `path` and how to read it.
"""

from typing import Any

from headwater.connectors.format_options import FORMAT_PROPERTIES
from headwater.connectors.modified_since import INCREMENTAL_PROPERTY

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Files on an SFTP server",
    "type": "object",
    "required": ["host"],
    "additionalProperties": False,
    "properties": {
        "host": {
            "type": "string",
            "minLength": 1,
            "target": "host",
            "description": "Name or address of the server.",
        },
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "default": 22,
            "target": "port",
        },
        "username": {
            "type": "string",
            "minLength": 1,
            "target": True,
            "default": "anonymous",
            "description": "The account to log in as. SSH always sends one; without it the "
            "connector logs in as `anonymous`, never as the user Headwater runs as.",
        },
        "password": {
            "type": "string",
            "secret": True,
            "description": "Password (or keyboard-interactive answer) of the account.",
        },
        "private_key": {
            "type": "string",
            "secret": True,
            "description": "Private key text (PEM or OpenSSH, `-----BEGIN ...`) to log in with, "
            "instead of or as well as a password.",
        },
        "private_key_passphrase": {
            "type": "string",
            "secret": True,
            "description": "Passphrase of private_key, if it is encrypted.",
        },
        "host_key": {
            "type": "string",
            "target": True,
            "description": "The server's public key, as `ssh-ed25519 AAAA...` (a line of its "
            "`/etc/ssh/ssh_host_*_key.pub`, or of a known_hosts file). When set, a server "
            "presenting any other key is refused. When not set, ANY host key is accepted, so "
            "nothing proves the server is the one you meant.",
        },
        "path": {
            "type": "string",
            "minLength": 1,
            "default": ".",
            "description": "A file, a directory (every file in it) or a glob (`*`, `?`, `[...]`, "
            "and `**` for any depth: `/exports/**/*.csv`). Relative paths start in the login "
            "directory; the default `.` reads every file there. Names starting with `.` "
            "(often uploads in progress) are skipped unless the pattern starts its last part "
            "with `.` too.",
        },
        **FORMAT_PROPERTIES,
        "incremental": INCREMENTAL_PROPERTY,
    },
}
