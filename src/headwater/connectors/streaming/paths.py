"""Files a streaming source may open: only inside the directories the operator allows
(`HEADWATER_FILE_ROOTS`), links followed first, so a pipeline cannot make the server read any
file it names (`file_input`'s path, a transport's TLS certificate and key files)."""

from __future__ import annotations

from pathlib import Path

from headwater.connectors.sdk import TerminalError


def allowed_path(raw: str, allowed_dirs: tuple[str, ...], reader: str = "file_input") -> Path:
    """`raw` resolved (links followed), if it lies inside one of the allowed directories.
    `reader` names who asks, in the error (`file_input`, or a TLS field of a transport)."""
    if not raw:
        raise TerminalError(f"{reader} needs a 'path'")
    real = Path(raw).resolve()
    roots = [Path(d).resolve() for d in allowed_dirs]
    if not any(real == root or root in real.parents for root in roots):
        shown = ", ".join(str(r) for r in roots) or "none"
        raise TerminalError(
            f"{reader} may read only inside the allowed directories ({shown}); {raw!r} is not"
        )
    return real
