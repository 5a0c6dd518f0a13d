"""Starting and stopping booth mode with the service (called from the app's lifespan)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI

from app.booths.attendance import AttendanceWatcher
from app.booths.links import BoothSigner
from app.cluster.local import LocalCluster
from app.settings import Settings
from rooms.board import EventBus
from rooms.registry import RoomRegistry


async def start_booths(app: FastAPI, settings: Settings) -> None:
    """The booth signer, the kiosks' event bus and the attendance watcher, on `app.state`.

    Needs the rooms started first (their registry, clock, board bus and node)."""
    registry: RoomRegistry = app.state.rooms
    cluster: LocalCluster = app.state.cluster
    app.state.booth_signer = BoothSigner(settings.signing_key)
    app.state.kiosk_mint_lock = asyncio.Lock()
    # Same fan-out as the organiser's board, keyed by venue id instead of mission id (on
    # every node of a cluster: a kiosk rings whichever node the organiser's request reached).
    app.state.kiosk_bus = cluster.kiosk_bus
    watcher = AttendanceWatcher(
        sessionmaker=app.state.read_sessionmaker,
        registry=registry,
        cluster=cluster,
        clock=app.state.clock,
        no_show_after=timedelta(minutes=settings.no_show_after_minutes),
        interval=settings.attendance_check_seconds,
    )
    watcher.start()
    app.state.attendance = watcher


async def stop_booths(app: FastAPI) -> None:
    watcher: AttendanceWatcher | None = getattr(app.state, "attendance", None)
    if watcher is not None:
        await watcher.close()
    bus: EventBus | None = getattr(app.state, "kiosk_bus", None)
    if bus is not None:
        bus.close()
