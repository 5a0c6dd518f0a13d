"""Starting and stopping the rooms of the process (called from the app's lifespan)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from fastapi import FastAPI

from app.cluster import create_cluster
from app.cluster.load import LoadSampler
from app.cluster.local import LocalCluster
from app.cluster.metrics import metrics_registry
from app.rooms.locks import KeyedLocks
from app.rooms.service import DatabaseRoomStore
from app.settings import Settings
from rooms.clock import Clock
from rooms.links import LinkSigner
from rooms.media import MediaFactory
from rooms.registry import RoomRegistry
from rooms.relay import RelayMedia
from rooms.room import RoomPolicy, SeatState
from rooms.seats import Seat
from rtc import RelayConfig
from rtc.stats import PeerStats

logger = logging.getLogger(__name__)


def room_policy(settings: Settings) -> RoomPolicy:
    return RoomPolicy(
        open_lead=timedelta(minutes=settings.room_open_lead_minutes),
        end_warning=timedelta(minutes=settings.room_end_warning_minutes),
        grace=timedelta(seconds=settings.room_grace_seconds),
        silence_hold=timedelta(seconds=settings.room_silent_channel_seconds),
    )


def media_factory(settings: Settings) -> MediaFactory:
    """The rtc relay, configured from the settings (never an ICE server the settings lack)."""
    return RelayMedia(
        RelayConfig(
            ice_servers=[server.model_dump(exclude_none=True) for server in settings.ice_servers],
            ice_host_addresses=settings.ice_host_addresses,
            announced_address=settings.announced_address,
        )
    )


def _relay_peers(media: MediaFactory) -> Iterator[tuple[str, PeerStats]]:
    if isinstance(media, RelayMedia):
        for room in list(media.registry.rooms.values()):
            for stats in room.stats():
                yield room.id, stats


def _rooms_and_seats(registry: RoomRegistry) -> tuple[int, int]:
    rooms = [room for room in registry.rooms() if not room.closed]
    seats = sum(room.seat_state(seat) is SeatState.JOINED for room in rooms for seat in Seat)
    return len(rooms), seats


async def start_rooms(app: FastAPI, settings: Settings) -> RoomRegistry:
    """The node (`app.state.cluster`: this process alone, or a node of a cluster) and its room
    registry (`app.state.rooms`), on the app's clock."""
    clock: Clock = app.state.clock
    app.state.link_signer = LinkSigner(settings.signing_key)
    cluster = await create_cluster(
        settings, clock, rate_limiter=getattr(app.state, "api_rate_limiter", None)
    )
    # In a cluster the API rate limit counts over every node (Redis).
    app.state.api_rate_limiter = cluster.rate_limiter
    media = media_factory(settings)
    app.state.room_store = store = DatabaseRoomStore(
        app.state.sessionmaker, app.state.read_sessionmaker
    )
    registry = RoomRegistry(
        policy=room_policy(settings),
        clock=clock,
        store=store,
        media=media,
        bus=cluster.board_bus,
        stats_interval=settings.board_stats_interval_seconds,
        max_rooms=settings.node_max_rooms,
        retry_after=settings.admission_retry_after_seconds,
        locator=cluster,
    )
    sampler = LoadSampler(
        rooms=lambda: _rooms_and_seats(registry), relay_peers=lambda: _relay_peers(media)
    )
    cluster.attach(registry, sampler)
    registry.start()
    await cluster.start()
    app.state.rooms = registry
    app.state.room_openings = KeyedLocks()
    app.state.cluster = cluster
    app.state.metrics = metrics_registry(cluster)
    return registry


async def stop_rooms(app: FastAPI) -> None:
    cluster: LocalCluster | None = getattr(app.state, "cluster", None)
    registry: RoomRegistry | None = getattr(app.state, "rooms", None)
    if cluster is not None:
        # Free this node's meetings first: the seats told to come back go to other nodes.
        await cluster.drain()
    if registry is not None:
        await registry.close()
    if cluster is not None:
        await cluster.stop()
