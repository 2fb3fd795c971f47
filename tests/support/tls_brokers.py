"""Real brokers with TLS listeners, started by the tests: a throwaway CA (trustme) signs the
certificates; a `nats-server` (JetStream on, TLS required, a user and password, optionally
client certificates required) and a `mosquitto` (TLS listener, password file) run on free
ports with their files and data in the test's temporary folder, and stop afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nats
import paho.mqtt.client as mqtt
import trustme
from nats.js.api import StreamConfig
from paho.mqtt.enums import CallbackAPIVersion

NATS_SERVER = "/usr/sbin/nats-server"
MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
USER, PASSWORD = "ingest", "s3cret-Pa55word"


@dataclass(frozen=True)
class Certificates:
    folder: Path
    ca: Path  # signed the servers' and the client's certificates
    other_ca: Path  # signed nothing here: trusting it alone must fail
    server_cert: Path  # for 127.0.0.1 and localhost
    server_key: Path
    client_cert: Path
    client_key: Path

    def context(self) -> ssl.SSLContext:
        """What the tests' own publishers trust."""
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context


def make_certificates(folder: Path) -> Certificates:
    folder.mkdir(parents=True, exist_ok=True)
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("headwater@tests.invalid")
    files = Certificates(
        folder,
        folder / "ca.pem",
        folder / "other-ca.pem",
        folder / "server.pem",
        folder / "server.key",
        folder / "client.pem",
        folder / "client.key",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    other.cert_pem.write_to_path(str(files.other_ca))
    server.cert_chain_pems[0].write_to_path(str(files.server_cert))
    server.private_key_pem.write_to_path(str(files.server_key))
    client.cert_chain_pems[0].write_to_path(str(files.client_cert))
    client.private_key_pem.write_to_path(str(files.client_key))
    return files


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _PortTaken(RuntimeError):
    """Another process took the port between `free_port()` and the broker binding it."""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text()
            if "address already in use" in output.lower():
                raise _PortTaken(output)
            raise RuntimeError(f"the broker exited:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the broker did not listen on {port}:\n{log.read_text()}")


@contextmanager
def _running(
    program: str, folder: Path, name: str, config_for: Callable[[int], str]
) -> Iterator[int]:
    """`program -c <config>` on a free port (yielded), stopped afterwards; a port taken in
    the meantime by another test worker means another port."""
    for attempt in range(3):
        port = free_port()
        tag = uuid.uuid4().hex[:8]
        config, log = folder / f"{name}-{tag}.conf", folder / f"{name}-{tag}.log"
        config.write_text(config_for(port))
        with log.open("wb") as out:
            process = subprocess.Popen(
                [program, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        try:
            _wait_for_port(port, process, log)
        except _PortTaken:
            if attempt == 2:
                raise
            continue
        except BaseException:
            _stop(process)
            raise
        try:
            yield port
        finally:
            _stop(process)
        return


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# -- NATS ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NatsTls:
    port: int
    certs: Certificates

    @property
    def url(self) -> str:
        """No credentials in it: tests give them where the connector config says."""
        return f"nats://127.0.0.1:{self.port}"

    async def _connect(self) -> nats.NATS:
        return await nats.connect(
            self.url, tls=self.certs.context(), user=USER, password=PASSWORD, connect_timeout=5
        )

    def create_stream(self) -> tuple[str, str]:
        name, subject = f"TLS_{uuid.uuid4().hex[:10]}", f"tls.{uuid.uuid4().hex[:10]}"

        async def go() -> None:
            nc = await self._connect()
            try:
                await nc.jetstream().add_stream(StreamConfig(name=name, subjects=[subject]))
            finally:
                await nc.close()

        asyncio.run(go())
        return name, subject

    def publish(self, subject: str, records: list[dict[str, object]]) -> None:
        async def go() -> None:
            nc = await self._connect()
            try:
                js = nc.jetstream()
                for record in records:
                    await js.publish(subject, json.dumps(record).encode())
            finally:
                await nc.close()

        asyncio.run(go())


@contextmanager
def nats_tls_server(
    folder: Path, certs: Certificates, verify_clients: bool = False, allow_non_tls: bool = False
) -> Iterator[NatsTls]:
    """nats-server with JetStream, TLS required (offered only, with `allow_non_tls`) and a
    user with a password; `verify_clients` also requires a client certificate from our CA."""
    tls = [
        f'cert_file: "{certs.server_cert}"',
        f'key_file: "{certs.server_key}"',
        "timeout: 2",
    ]
    if verify_clients:
        tls += [f'ca_file: "{certs.ca}"', "verify: true"]

    def config(port: int) -> str:
        lines = [
            f"listen: 127.0.0.1:{port}",
            f'jetstream {{ store_dir: "{folder / f"js-{port}"}" }}',
            "tls {\n  " + "\n  ".join(tls) + "\n}",
            f'authorization {{ users = [ {{ user: "{USER}", password: "{PASSWORD}" }} ] }}',
        ]
        if allow_non_tls:
            lines.append("allow_non_tls: true")
        return "\n".join(lines) + "\n"

    with _running(NATS_SERVER, folder, "nats", config) as port:
        yield NatsTls(port, certs)


# -- MQTT ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MqttTls:
    port: int
    certs: Certificates

    def publish(self, topic: str, records: list[dict[str, object]]) -> None:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
        client.tls_set_context(self.certs.context())
        client.username_pw_set(USER, PASSWORD)
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        try:
            infos = [client.publish(topic, json.dumps(r).encode(), qos=1) for r in records]
            for info in infos:
                info.wait_for_publish(10)
        finally:
            client.disconnect()
            client.loop_stop()


@contextmanager
def mosquitto_tls(
    folder: Path, certs: Certificates, require_certificate: bool = False
) -> Iterator[MqttTls]:
    """mosquitto with one TLS listener and a password file (anonymous clients refused);
    `require_certificate` also requires a client certificate from our CA."""
    passwords = folder / f"mosquitto-{uuid.uuid4().hex[:8]}.passwd"
    subprocess.run(
        [MOSQUITTO_PASSWD, "-b", "-c", str(passwords), USER, PASSWORD],
        check=True,
        capture_output=True,
    )

    def config(port: int) -> str:
        lines = [
            f"listener {port} 127.0.0.1",
            f"certfile {certs.server_cert}",
            f"keyfile {certs.server_key}",
            "allow_anonymous false",
            f"password_file {passwords}",
            "persistence false",
        ]
        if require_certificate:
            lines += [f"cafile {certs.ca}", "require_certificate true"]
        if os.geteuid() == 0:
            # as root it would switch to the `mosquitto` user, which cannot read the test's
            # private temporary folder
            lines.append("user root")
        return "\n".join(lines) + "\n"

    with _running(MOSQUITTO, folder, "mosquitto", config) as port:
        yield MqttTls(port, certs)
