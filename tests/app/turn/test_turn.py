"""TURN credentials: the REST scheme's arithmetic, and a real coturn accepting and refusing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol

from app.settings import IceServer, Settings
from app.turn import ice_servers_for_seat, mint, seat_id
from tests.app.turn.conftest import TurnServer

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_username_is_expiry_then_seat_and_password_its_hmac() -> None:
    credential = mint(secret="s3cret", seat_id="meeting-7-buyer", expires_at=NOW)
    assert credential.username == f"{int(NOW.timestamp())}:meeting-7-buyer"
    expected = hmac.new(b"s3cret", credential.username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(credential.credential) == expected


@pytest.mark.parametrize("bad", ["", "a:b", "x" * 101, "seat id", "seat/1"])
def test_a_seat_id_that_would_confuse_coturn_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="seat id"):
        mint(secret="s", seat_id=bad, expires_at=NOW)


def test_naive_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        mint(secret="s", seat_id="a", expires_at=datetime(2026, 1, 1))


def test_seats_get_static_servers_plus_turn_with_their_own_credentials() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        ice_servers=[IceServer(urls=["stun:127.0.0.1:3478"])],
        turn_urls=["turn:turn.test:3478?transport=udp"],
        turn_secret="k",
        turn_credential_ttl_seconds=600,
    )
    servers = ice_servers_for_seat(settings, seat_id=seat_id(5, "company"), now=NOW)
    assert servers[0] == IceServer(urls=["stun:127.0.0.1:3478"])
    turn = servers[1]
    assert turn.urls == ["turn:turn.test:3478?transport=udp"]
    assert turn.username == f"{int((NOW + timedelta(seconds=600)).timestamp())}:meeting-5-company"
    other = ice_servers_for_seat(settings, seat_id=seat_id(5, "buyer"), now=NOW)[1]
    assert other.credential != turn.credential


def test_without_turn_settings_only_the_static_servers() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert ice_servers_for_seat(settings, seat_id="a", now=NOW) == []


def test_turn_urls_without_a_secret_are_refused() -> None:
    with pytest.raises(ValueError, match="TRADEBOOTH_TURN_SECRET"):
        Settings(_env_file=None, turn_urls=["turn:t.test"])  # type: ignore[call-arg]


@asynccontextmanager
async def turn_client(
    server: TurnServer, username: str, password: str
) -> AsyncIterator[TurnClientUdpProtocol]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(
            server.address,
            username=username,
            password=password,
            lifetime=60,
            channel_refresh_time=50,
        ),
        remote_addr=server.address,
    )
    try:
        yield protocol
    finally:
        if protocol.refresh_task is not None:
            protocol.refresh_task.cancel()
        transport.close()


def _credential(server: TurnServer, expires_at: datetime, seat: str) -> tuple[str, str]:
    minted = mint(secret=server.secret, seat_id=seat, expires_at=expires_at)
    return minted.username, minted.credential


async def test_a_minted_credential_allocates_a_relay(turn_server: TurnServer) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=10)
    async with turn_client(turn_server, *_credential(turn_server, expires, "meeting-1-buyer")) as c:
        relayed = await asyncio.wait_for(c.connect(), 10)
    assert relayed[0] == "127.0.0.1"
    assert relayed[1] > 0


async def test_an_expired_credential_is_refused(turn_server: TurnServer) -> None:
    expired = datetime.now(UTC) - timedelta(seconds=5)
    async with turn_client(turn_server, *_credential(turn_server, expired, "meeting-1-buyer")) as c:
        with pytest.raises(stun.TransactionFailed) as failure:
            await asyncio.wait_for(c.connect(), 10)
    assert failure.value.response.error_code in (401, 438)


async def test_a_credential_signed_with_another_secret_is_refused(turn_server: TurnServer) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=10)
    forged = mint(secret="not-the-secret", seat_id="meeting-1-buyer", expires_at=expires)
    async with turn_client(turn_server, forged.username, forged.credential) as c:
        with pytest.raises(stun.TransactionFailed) as failure:
            await asyncio.wait_for(c.connect(), 10)
    assert failure.value.response.error_code in (401, 438)


async def test_the_service_settings_give_credentials_coturn_accepts(
    turn_server: TurnServer,
) -> None:
    host, port = turn_server.address
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        turn_urls=[f"turn:{host}:{port}?transport=udp"],
        turn_secret=turn_server.secret,
    )
    server = ice_servers_for_seat(settings, seat_id="meeting-2-company", now=datetime.now(UTC))[0]
    assert server.username is not None and server.credential is not None
    async with turn_client(turn_server, server.username, server.credential) as c:
        relayed = await asyncio.wait_for(c.connect(), 10)
    assert relayed[0] == "127.0.0.1"


@pytest.mark.parametrize(
    "peer", ["10.1.2.3", "172.16.0.9", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1"]
)
async def test_the_sample_config_refuses_relaying_to_private_and_loopback_peers(
    sample_turn_server: TurnServer, peer: str
) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=10)
    async with turn_client(
        sample_turn_server, *_credential(sample_turn_server, expires, "meeting-3-buyer")
    ) as c:
        await asyncio.wait_for(c.connect(), 10)
        with pytest.raises(stun.TransactionFailed) as failure:
            await asyncio.wait_for(c.channel_bind(0x4000, (peer, 9)), 10)
    assert failure.value.response.error_code == 403


async def test_the_sample_config_lets_a_public_peer_through(
    sample_turn_server: TurnServer,
) -> None:
    # A channel bind only installs a permission on the server: nothing is sent to the peer.
    expires = datetime.now(UTC) + timedelta(minutes=10)
    async with turn_client(
        sample_turn_server, *_credential(sample_turn_server, expires, "meeting-3-company")
    ) as c:
        await asyncio.wait_for(c.connect(), 10)
        await asyncio.wait_for(c.channel_bind(0x4000, ("8.8.8.8", 9)), 10)
