"""Dependencies of the booth routes: the kiosk (by its booth link), a mission's venue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from app.auth.dependencies import require_mission_access
from app.booths import service
from app.booths.attendance import AttendanceWatcher
from app.booths.exceptions import BoothLinkInvalid
from app.booths.links import BoothSigner
from app.clock import ClockDep
from app.dependencies import SessionDep
from app.missions.exceptions import VenueNotFound
from app.missions.models import Mission, Venue
from rooms.board import EventBus

TOKEN_HEADER = "X-Booth-Token"
VenueId = Annotated[int, Path(gt=0, le=2**31 - 1)]

# The organiser's routes: a signed-in user who may see (or change) the mission.
MissionRead = Annotated[Mission, Depends(require_mission_access())]
MissionWrite = Annotated[Mission, Depends(require_mission_access(write=True))]


def get_booth_signer(request: Request) -> BoothSigner:
    signer: BoothSigner = request.app.state.booth_signer
    return signer


def get_kiosk_bus(request: Request) -> EventBus:
    bus: EventBus = request.app.state.kiosk_bus
    return bus


def get_attendance(request: Request) -> AttendanceWatcher:
    watcher: AttendanceWatcher = request.app.state.attendance
    return watcher


BoothSignerDep = Annotated[BoothSigner, Depends(get_booth_signer)]
KioskBusDep = Annotated[EventBus, Depends(get_kiosk_bus)]
AttendanceDep = Annotated[AttendanceWatcher, Depends(get_attendance)]


async def get_kiosk(
    session: SessionDep,
    signer: BoothSignerDep,
    clock: ClockDep,
    x_booth_token: Annotated[
        str | None,
        Header(description="The booth link's token (the part after `#` in its URL)."),
    ] = None,
) -> service.Kiosk:
    """The kiosk, authorized by its booth link only (never by the console's cookie)."""
    if not x_booth_token:
        raise BoothLinkInvalid()
    kiosk = await service.check_token(
        session=session, signer=signer, token=x_booth_token, now=clock.now()
    )
    # End the read transaction: on SQLite a request that read and then writes could meet
    # another writer and fail at once (lock upgrade), where a fresh write transaction waits.
    await session.commit()
    return kiosk


KioskDep = Annotated[service.Kiosk, Depends(get_kiosk)]


async def venue_of(mission: Mission, venue_id: int, session: SessionDep) -> Venue:
    venue = await session.get(Venue, venue_id)
    if venue is None or venue.mission_id != mission.id:
        raise VenueNotFound(venue_id)
    return venue
