"""The bulk NATS frame parser on bytes captured from the real server (127.0.0.1:4222): the
same frames whether the bytes come in one read or split anywhere, messages with headers, and
the status frames that end pull requests."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from headwater.connectors.streaming.nats.frames import FrameParser, Frames, ProtocolError
from tests.e2e.nats_support import create_stream, delete_stream, run, unique_stream

PAYLOADS = [
    b'{"id": 0}',
    b"binary \r\nMSG fake 1 3\r\nabc\r\n in the payload",  # frame-like bytes inside a payload
    b"",  # an empty message
    b'{"id": 3, "with": "headers"}',
    b"x" * 70_000,  # bigger than most socket reads
]


def _publish_and_make_consumer(stream: str, subject: str) -> None:
    async def go() -> None:
        nc = await nats.connect("nats://127.0.0.1:4222")
        js = nc.jetstream()
        for i, payload in enumerate(PAYLOADS):
            await js.publish(subject, payload, headers={"Hw-Test": str(i)} if i == 3 else None)
        await js.add_consumer(stream, ConsumerConfig(durable_name="c", ack_policy=AckPolicy.ALL))
        await nc.close()

    run(go())


def _capture(stream: str) -> bytes:
    """Everything the server sends a raw client that subscribes an inbox and issues three
    pull requests: one that its batch fills (3), one that runs out (`no_wait`, the other 2
    then 408), one with nothing left (404); then a PING's PONG."""
    sock = socket.create_connection(("127.0.0.1", 4222), timeout=5)
    received = bytearray()
    # An inbox of its own: both test workers may capture at once (the module fixture runs on
    # each worker that gets one of its tests), and a shared inbox hears both.
    inbox = f"_INBOX.cap.{uuid.uuid4().hex}".encode()
    try:
        connect = {"verbose": False, "headers": True, "no_responders": True, "protocol": 1}
        sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nSUB %s 1\r\n" % inbox)
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.c".encode()
        for request in (b'{"batch": 3}', b'{"batch": 10, "no_wait": true}', b'{"no_wait": true}'):
            sock.sendall(b"PUB %s %s %d\r\n%s\r\n" % (subject, inbox, len(request), request))
            time.sleep(0.2)  # each request answered before the next (no timing asserted)
        sock.sendall(b"PING\r\n")
        while not received.endswith(b"PONG\r\n"):
            chunk = sock.recv(1 << 16)
            assert chunk, "the server closed the connection"
            received += chunk
    finally:
        sock.close()
    return bytes(received)


@pytest.fixture(scope="module")
def captured() -> Iterator[bytes]:
    stream, subject = unique_stream()
    create_stream(stream, subject)
    try:
        _publish_and_make_consumer(stream, subject)
        yield _capture(stream)
    finally:
        delete_stream(stream)


def _merged(parts: list[Frames]) -> Frames:
    out = Frames()
    for frames in parts:
        out.replies += frames.replies
        out.payloads += frames.payloads
        out.statuses += frames.statuses
        out.infos += frames.infos
        out.errors += frames.errors
        out.pings += frames.pings
        out.pongs += frames.pongs
    return out


def test_one_read_gives_every_message_and_status(captured: bytes) -> None:
    parser = FrameParser()
    frames = parser.feed(captured)
    assert frames.payloads == PAYLOADS  # the headers of message 3 are not part of its payload
    assert all(r.startswith(b"$JS.ACK.") for r in frames.replies)
    sequences = [int(r.split(b".")[5]) for r in frames.replies]
    assert sequences == [1, 2, 3, 4, 5]
    assert [code for code, _ in frames.statuses] == [408, 404]
    assert frames.statuses[1][1] == "No Messages"
    assert len(frames.infos) == 1
    assert json.loads(frames.infos[0])["headers"] is True
    assert frames.pongs == 1
    assert parser.pending == 0


@pytest.mark.parametrize("step", [1, 2, 5, 13, 4096])
def test_split_reads_give_the_same_frames(captured: bytes, step: int) -> None:
    whole = FrameParser().feed(captured)
    parser = FrameParser()
    parts = [parser.feed(captured[i : i + step]) for i in range(0, len(captured), step)]
    assert _merged(parts) == whole
    assert parser.pending == 0


def test_a_frame_split_at_every_point_waits_for_the_rest(captured: bytes) -> None:
    # the first message frame of the capture, cut at each byte
    start = captured.index(b"MSG ")
    end = captured.index(b"\r\n", captured.index(b"\r\n", start) + 2) + 2
    frame = captured[start:end]
    for cut in range(1, len(frame)):
        parser = FrameParser()
        first = parser.feed(frame[:cut])
        assert first.payloads == []
        assert parser.pending == cut
        second = parser.feed(frame[cut:])
        assert second.payloads == [PAYLOADS[0]]
        assert parser.pending == 0


def test_server_pings_and_errors_are_reported() -> None:
    frames = FrameParser().feed(b"PING\r\n+OK\r\n-ERR 'Authorization Violation'\r\nPING\r\n")
    assert frames.pings == 2
    assert frames.errors == ["Authorization Violation"]


def test_garbage_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        FrameParser().feed(b"HTTP/1.1 400 Bad Request\r\n")
