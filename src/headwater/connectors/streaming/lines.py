"""Complete lines out of a byte stream: what file and URL sources hand over as records."""

from __future__ import annotations


class LineBuffer:
    """Bytes in, complete lines out; a partial last line waits for the rest (or the end)."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes, final: bool = False) -> tuple[list[bytes], int]:
        """The complete lines now available, and how many bytes they took (newlines too)."""
        data = self._rest + chunk
        cut = data.rfind(b"\n") + 1
        if final:
            cut = len(data)
        complete, self._rest = data[:cut], data[cut:]
        lines = [line for line in complete.split(b"\n") if line.strip()]
        return lines, len(complete)

    @property
    def pending(self) -> int:
        return len(self._rest)
