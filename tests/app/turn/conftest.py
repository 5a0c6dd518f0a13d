"""A coturn `turnserver` on loopback for the TURN credential tests, installed if missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "deploy" / "coturn" / "turnserver.conf.sample"
SECRET = "test-turn-secret-" + "x" * 16
REALM = "turn.test"


@dataclass(frozen=True)
class TurnServer:
    address: tuple[str, int]
    secret: str
    realm: str


def turnserver_binary() -> str:
    found = shutil.which("turnserver")
    if found is None:
        subprocess.run([str(ROOT / "scripts" / "apt-install"), "coturn"], check=True)
        found = shutil.which("turnserver")
    if found is None:
        raise RuntimeError("coturn's turnserver is not installed and could not be installed")
    return found


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stun_binding_answers(address: tuple[str, int]) -> bool:
    """One STUN Binding request (RFC 8489); True when a Binding success response comes back."""
    transaction = os.urandom(12)
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        sock.sendto(request, address)
        try:
            data, _ = sock.recvfrom(2048)
        except OSError:  # timeout, or ICMP port unreachable while it starts
            return False
    return data[:2] == b"\x01\x01" and data[8:20] == transaction


def loopback_config(base: str, *, port: int, folder: Path) -> str:
    """`base` with its placeholders filled and this test's loopback-only overrides."""
    lines = [
        line
        for line in base.splitlines()
        if not line.startswith(("listening-port", "tls-listening-port", "min-port", "max-port"))
        and not line.startswith(("static-auth-secret", "realm", "log-file"))
    ]
    relay_low = 40000 + port % 20000
    lines += [
        "listening-ip=127.0.0.1",
        "relay-ip=127.0.0.1",
        f"listening-port={port}",
        f"min-port={relay_low}",
        f"max-port={relay_low + 50}",
        f"static-auth-secret={SECRET}",
        f"realm={REALM}",
        "no-tls",
        "no-dtls",
        f"pidfile={folder / 'turnserver.pid'}",
        f"userdb={folder / 'turndb'}",
        f"log-file={folder / 'turnserver.log'}",
        "simple-log",
    ]
    return "\n".join(lines) + "\n"


def start(config: str, folder: Path, port: int) -> Iterator[TurnServer]:
    path = folder / "turnserver.conf"
    path.write_text(config)
    process = subprocess.Popen(
        [turnserver_binary(), "-c", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    address = ("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 20
        while not stun_binding_answers(address):
            log = folder / "turnserver.log"
            if process.poll() is not None:
                raise RuntimeError(
                    f"turnserver exited with {process.returncode}: "
                    f"{log.read_text() if log.exists() else ''}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("turnserver did not answer STUN within 20 s")
        yield TurnServer(address=address, secret=SECRET, realm=REALM)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def turn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TurnServer]:
    """coturn with a minimal REST-auth config; allow-loopback-peers only here."""
    folder = tmp_path_factory.mktemp("coturn")
    port = free_udp_port()
    base = "use-auth-secret\nfingerprint\nno-cli\nno-multicast-peers\nallow-loopback-peers\n"
    yield from start(loopback_config(base, port=port, folder=folder), folder, port)


@pytest.fixture(scope="session")
def sample_turn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TurnServer]:
    """coturn with deploy/coturn/turnserver.conf.sample, moved onto loopback ports."""
    folder = tmp_path_factory.mktemp("coturn-sample")
    port = free_udp_port()
    yield from start(loopback_config(SAMPLE.read_text(), port=port, folder=folder), folder, port)
