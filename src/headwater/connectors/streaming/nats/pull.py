"""A lean connection that pulls from one JetStream consumer: a plain blocking socket, the
bulk `FrameParser`, and the pull-request protocol by hand.

Why not nats-py for this part: its per-message `Msg` objects, callbacks and asyncio hops cap
a consumer at ~45k messages/s on this machine, under the pipeline's 100k/s goal (see
docs/pipelines.md). nats-py still creates the stream's consumer; this only reads from it.

A pull request is a publish to `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` with
`{"batch": n, "expires": ns, "no_wait": true}` and our inbox as reply. The server waits up
to `expires` for a first message, answers with up to n, then ends the request with a status
(408 Request Timeout once it has nothing more or expired, 404 when there was nothing, 409
when the consumer refuses it) or, having sent all n, with nothing. nats-server 2.9 may also drop an
expired request without a word, so a request is over, at the latest, a little after its own
expiry (`GRACE_SECONDS`): the loop never waits on a request the server forgot. A request
to a consumer that no longer exists gets no answer at all, so the caller checks the consumer
when one ends in silence with nothing.

TLS (see `endpoint`): after the server's INFO, the socket is wrapped in TLS when the
connector asks for it (the server must offer it) or the server requires it; with
`handshake_first`, before INFO. Certificates are always verified. A plain connection reads
exactly as before: the TLS code runs only while connecting.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field

from headwater.connectors import egress
from headwater.connectors.streaming.nats.endpoint import NatsEndpoint
from headwater.connectors.streaming.nats.frames import FrameParser, Frames
from headwater.connectors.streaming.tls import describe_tls_error

READ_BYTES = 1 << 20
GRACE_SECONDS = 0.2  # past a request's expiry: it is over whether or not the server said so
CONNECT_SECONDS = 5.0


class PullError(Exception):
    """The connection failed or the server refused us: reconnect and start over."""


class ConsumerGone(PullError):
    """The server says the consumer was deleted (409 Consumer Deleted)."""


@dataclass
class Pulled:
    replies: list[bytes] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    exhausted: bool = False  # the request ended before its batch filled: nothing more now
    silent: bool = False  # ...and the server never said so (see the module's docstring)


@dataclass
class _Request:
    batch: int
    deadline: float  # over by then, whatever the server says
    received: int = 0


class JetStreamPull:
    def __init__(self, endpoint: NatsEndpoint, stream: str, consumer: str) -> None:
        self._endpoint = endpoint
        self.server_info: dict[str, object] = {}  # the server's INFO, once connected
        self._next = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}".encode()
        self._inbox = f"_INBOX.hw.{uuid.uuid4().hex}".encode()
        self._parser = FrameParser()
        self._sock: socket.socket | None = None
        self._arrived = Pulled()  # read, not yet collected
        self._request: _Request | None = None  # the pull request out, if any
        # one buffer for every read: `recv(n)` would allocate (and map) n bytes each time
        self._buffer = bytearray(READ_BYTES)
        self._view = memoryview(self._buffer)

    # -- connection ----------------------------------------------------------------------
    def connect(self) -> None:
        try:
            self._connect()
        except PullError:
            self.close()
            raise

    def _connect(self) -> None:
        self._sock = self._open_connection()
        info = self._handshake_info()
        self.server_info = info
        if self._upgrade_to_tls(info):
            self._sock = self._start_tls(self._sock)
        options: dict[str, object] = {
            "verbose": False,
            "pedantic": False,
            "headers": True,
            "no_responders": True,
            "protocol": 1,
            "name": "headwater nats_input",
            "lang": "python-headwater",
            "version": "1",
            **self._endpoint.connect_fields(),
        }
        self._send(
            b"CONNECT " + json.dumps(options).encode() + b"\r\nSUB " + self._inbox + b" 1\r\n"
            b"PING\r\n"
        )
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:  # the PONG says CONNECT and SUB were taken (an -ERR comes first if not)
            frames = self._read(deadline)
            if frames is None:
                raise PullError(f"{self._endpoint.address} did not answer CONNECT")
            if frames.errors:
                raise PullError(
                    f"{self._endpoint.address} refused the connection: {frames.errors[0]}"
                )
            if frames.pongs:
                break

    def _open_connection(self) -> socket.socket:
        """The connection to the server, TLS from the first byte with `handshake_first`: the
        one place the reader opens a connection."""
        endpoint = self._endpoint
        try:
            # To an address the egress policy allows (the name resolved once, then checked).
            sock = egress.create_connection(endpoint.host, endpoint.port, CONNECT_SECONDS)
        except OSError as exc:
            raise PullError(f"cannot connect to {endpoint.address}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # room for a whole pull's worth of frames: fewer, fuller reads
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * READ_BYTES)
        if endpoint.tls is not None and endpoint.tls.handshake_first:
            return self._start_tls(sock)
        return sock

    def _upgrade_to_tls(self, info: dict[str, object]) -> bool:
        """Whether to start TLS now, after INFO (the NATS protocol's upgrade)."""
        endpoint = self._endpoint
        required = bool(info.get("tls_required"))
        if endpoint.tls is None:
            return required  # the server insists: verified against the system's CAs
        if endpoint.tls.handshake_first:
            return False  # TLS already
        if not (required or info.get("tls_available")):
            raise PullError(
                f"{endpoint.address} does not offer TLS, which the connector asks for "
                "(a tls:// URL or a tls block)"
            )
        return True

    def _start_tls(self, sock: socket.socket) -> ssl.SSLSocket:
        endpoint = self._endpoint
        try:
            return endpoint.tls_context().wrap_socket(
                sock, server_hostname=endpoint.server_hostname
            )
        except OSError as exc:  # ssl.SSLError included
            sock.close()
            if endpoint.tls is None and isinstance(exc, ssl.SSLCertVerificationError):
                raise PullError(
                    f"{endpoint.address} requires TLS; " + describe_tls_error(exc, endpoint.address)
                ) from None
            raise PullError(describe_tls_error(exc, endpoint.address)) from None

    def _handshake_info(self) -> dict[str, object]:
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:
            frames = self._read(deadline)
            if frames is None:
                tls = self._endpoint.tls
                first = tls is not None and tls.handshake_first
                hint = "" if first else " (TLS first? set tls.handshake_first)"
                raise PullError(f"{self._endpoint.address} sent no INFO{hint}")
            if frames.infos:
                parsed: dict[str, object] = json.loads(frames.infos[0])
                return parsed

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    # -- pulling -------------------------------------------------------------------------
    @property
    def requesting(self) -> bool:
        """A pull request is out and not over yet."""
        return self._request is not None

    def request(self, batch: int, expires: float) -> None:
        """Ask for up to `batch` messages, waiting at most `expires` s for the first; with
        `no_wait` the server ends the request as soon as it has nothing more."""
        assert self._request is None, "one pull request at a time"
        body = json.dumps({"batch": batch, "expires": int(expires * 1e9), "no_wait": True})
        request = body.encode()
        self._send(b"PUB %s %s %d\r\n%s\r\n" % (self._next, self._inbox, len(request), request))
        self._request = _Request(batch, time.monotonic() + expires + GRACE_SECONDS)

    def collect(self, until: float | None = None) -> Pulled:
        """Everything that arrived, once the request is over at the server (nothing left
        waiting there), or by `until` (monotonic) with the request still out."""
        while self._request is not None:
            deadline = self._request.deadline
            frames = self._read(deadline if until is None else min(deadline, until))
            if frames is None and time.monotonic() < deadline:
                break  # `until` came first: the rest of the request arrives later
            self._take(frames)
        pulled, self._arrived = self._arrived, Pulled()
        return pulled

    def pull(self, batch: int, expires: float) -> Pulled:
        self.request(batch, expires)
        return self.collect()

    def _take(self, frames: Frames | None) -> None:
        request = self._request
        if frames is None:  # past the request's expiry: the server dropped it silently
            if request is not None:
                self._arrived.exhausted = self._arrived.silent = True
                self._request = None
            return
        self._arrived.replies += frames.replies
        self._arrived.payloads += frames.payloads
        if frames.errors:
            raise PullError(f"{self._endpoint.address} reports: {frames.errors[0]}")
        if request is None:
            return  # a late status of a request already over: nothing to end
        request.received += len(frames.replies)
        if request.received >= request.batch:
            self._request = None
        for code, description in frames.statuses:
            if code == 100:  # idle heartbeat: the request lives on
                continue
            if code == 409 and "deleted" in description.lower():
                raise ConsumerGone(f"the consumer was deleted: {description}")
            if code not in (404, 408, 409):
                raise PullError(f"unexpected JetStream status {code} {description}")
            # no messages, expired, or refused (max waiting...): over before its batch filled
            self._arrived.exhausted = True
            self._request = None

    def ack(self, reply: bytes) -> None:
        """Acknowledge one message; with `AckPolicy.ALL` that is everything before it too.
        The PING's PONG confirms the server read the ack before this returns; deliveries
        of a request still out that come meanwhile wait for `collect`."""
        self._send(b"PUB " + reply + b" 4\r\n+ACK\r\nPING\r\n")
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:
            frames = self._read(deadline)
            if frames is None:
                raise PullError(f"{self._endpoint.address} did not confirm an acknowledgement")
            self._take(frames)
            if frames.pongs:
                return

    # -- bytes ---------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        if self._sock is None:
            raise PullError("not connected")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise PullError(f"lost the connection to {self._endpoint.address}: {exc}") from exc

    def _read(self, deadline: float) -> Frames | None:
        """The frames of one socket read, PINGs answered; None once `deadline` passed."""
        assert self._sock is not None
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        self._sock.settimeout(left)
        try:
            size = self._sock.recv_into(self._view)
        except TimeoutError:
            return None
        except ssl.SSLError as exc:  # e.g. the server wanted a client certificate (TLS 1.3)
            raise PullError(describe_tls_error(exc, self._endpoint.address)) from exc
        except OSError as exc:
            raise PullError(f"lost the connection to {self._endpoint.address}: {exc}") from exc
        if not size:
            raise PullError(f"{self._endpoint.address} closed the connection")
        frames = self._parser.feed(bytes(self._view[:size]))
        if frames.pings:
            self._send(b"PONG\r\n" * frames.pings)
        return frames
