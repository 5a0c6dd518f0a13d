"""Fixtures for live-media relay tests: a loopback relay registry and client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aioice.ice
import pytest

from rtc import RelayConfig, RelayRegistry, Room
from tests.media import LoopbackClient

LOOPBACK = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def patient_ice_consent(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the relay, every client, their VP8 encoders and decoders in one
    process on shared cores; under that load a busy socket can hold a consent response
    (RFC 7675) behind half a second of media and aioice would close a healthy connection.
    Consent expiry is not what these tests are about, so allow many more misses."""
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 1000)


@pytest.fixture
def relay_config() -> RelayConfig:
    return RelayConfig(ice_host_addresses=LOOPBACK)


@pytest.fixture
async def registry(relay_config: RelayConfig) -> AsyncIterator[RelayRegistry]:
    registry = RelayRegistry(relay_config)
    yield registry
    await registry.close()


@pytest.fixture
async def room(registry: RelayRegistry) -> Room:
    return registry.create_room("room-1")


ClientFactory = Callable[..., LoopbackClient]


@pytest.fixture
async def clients() -> AsyncIterator[ClientFactory]:
    """Makes loopback clients and closes them after the test."""
    made: list[LoopbackClient] = []

    def make(name: str, **kwargs: Any) -> LoopbackClient:
        client = LoopbackClient(name, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def join(room: Room, client: LoopbackClient, **kwargs: Any) -> Any:
    """Add `client` to `room` as a peer named after it, wired for offers and answers."""
    peer = room.add_peer(client.name, client, **kwargs)
    client.connect(peer.handle_answer)
    return peer
