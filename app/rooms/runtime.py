"""Starting and stopping the rooms of the process (called from the app's lifespan)."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import FastAPI

from app.rooms.service import DatabaseRoomStore
from app.settings import Settings
from rooms.clock import Clock
from rooms.links import LinkSigner
from rooms.media import MediaFactory
from rooms.registry import RoomRegistry
from rooms.relay import RelayMedia
from rooms.room import RoomPolicy
from rtc import RelayConfig

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


async def start_rooms(app: FastAPI, settings: Settings) -> RoomRegistry:
    """The room registry on `app.state.rooms`, on the app's clock."""
    clock: Clock = app.state.clock
    app.state.link_signer = LinkSigner(settings.signing_key)
    registry = RoomRegistry(
        policy=room_policy(settings),
        clock=clock,
        store=DatabaseRoomStore(app.state.sessionmaker, app.state.read_sessionmaker),
        media=media_factory(settings),
        stats_interval=settings.board_stats_interval_seconds,
    )
    registry.start()
    app.state.rooms = registry
    return registry


async def stop_rooms(app: FastAPI) -> None:
    registry: RoomRegistry | None = getattr(app.state, "rooms", None)
    if registry is not None:
        await registry.close()
