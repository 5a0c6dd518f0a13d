"""HTTP routes of booth mode: the organiser's booth links, status and ring; the kiosk's own API."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse

from app import sse
from app.audit.service import record, user_actor
from app.auth.dependencies import CurrentUser
from app.booths import service
from app.booths.dependencies import (
    AttendanceDep,
    BoothSignerDep,
    KioskBusDep,
    KioskDep,
    MissionRead,
    MissionWrite,
    VenueId,
    venue_of,
)
from app.booths.exceptions import BoothLinkMissing, NotThisBooth
from app.booths.links import BoothSigner
from app.booths.models import BoothCheck, BoothLink
from app.booths.schemas import (
    AttendanceFlag,
    BandwidthEcho,
    BoothCheckRead,
    BoothLinkIssue,
    BoothLinkRead,
    BoothsBoard,
    BoothStatus,
    KioskDetails,
    KioskToken,
    RingRequest,
    RingResult,
    SelfTestReport,
)
from app.clock import ClockDep
from app.dependencies import SessionDep, SettingsDep
from app.rooms import service as rooms_service
from app.rooms.dependencies import RegistryDep, SignerDep
from app.schemas import PathId
from app.settings import Settings
from app.turn import ice_servers_for_seat
from rooms.clock import isoformat
from rooms.errors import MeetingOver
from rooms.seats import Seat

router = APIRouter(tags=["booths"])

# The self-test's bandwidth sample: about a second on a 10 Mbit/s line each way.
BANDWIDTH_BYTES = 1_000_000
MAX_UPLOAD_BYTES = 2 * BANDWIDTH_BYTES


def _link_read(link: BoothLink, signer: BoothSigner, settings: Settings) -> BoothLinkRead:
    token = None if link.revoked_at else signer.sign(service.claims_of(link))
    return BoothLinkRead(
        venue_id=link.venue_id,
        mission_id=link.mission_id,
        seat=link.seat,
        generation=link.generation,
        expires_at=link.expires_at,
        issued_at=link.issued_at,
        revoked=link.revoked_at is not None,
        join_lead_seconds=link.join_lead_seconds,
        token=token,
        url=f"{settings.base_url}/kiosk#{token}" if token else None,
    )


def _check_read(check: BoothCheck | None) -> BoothCheckRead | None:
    return BoothCheckRead.model_validate(check) if check is not None else None


# The organiser ------------------------------------------------------------------------------


@router.get(
    "/missions/{mission_id}/booths",
    response_model=BoothsBoard,
    summary="The mission's booths and business-centre rooms: kiosk link, kiosks online, last "
    "self-test; and the meetings flagged for missing seats",
)
async def booths_board(
    mission: MissionRead,
    session: SessionDep,
    signer: BoothSignerDep,
    settings: SettingsDep,
    bus: KioskBusDep,
    attendance: AttendanceDep,
) -> BoothsBoard:
    booths = []
    for venue in await service.mission_venues(session=session, mission_id=mission.id):
        link = await service.get_link(session=session, venue_id=venue.id)
        booths.append(
            BoothStatus(
                venue_id=venue.id,
                name=venue.name,
                kind=venue.kind.value,
                timezone=venue.timezone,
                link=_link_read(link, signer, settings) if link else None,
                kiosks_online=bus.subscriber_count(venue.id),
                last_check=_check_read(
                    await service.latest_check(session=session, venue_id=venue.id)
                ),
            )
        )
    flags = [
        AttendanceFlag(
            meeting_id=flag.meeting_id,
            mission_id=flag.mission_id,
            missing=flag.seats(),
            since=flag.since,
            company_venue_id=flag.company_venue_id,
            buyer_venue_id=flag.buyer_venue_id,
        )
        for flag in attendance.flags(mission.id)
    ]
    return BoothsBoard(mission_id=mission.id, booths=booths, flags=flags)


@router.post(
    "/missions/{mission_id}/venues/{venue_id}/booth-link",
    response_model=BoothLinkRead,
    status_code=status.HTTP_201_CREATED,
    summary="Issue (or re-issue) the venue's kiosk link; the earlier one stops working",
)
async def issue_booth_link(
    mission: MissionWrite,
    venue_id: VenueId,
    body: BoothLinkIssue,
    user: CurrentUser,
    session: SessionDep,
    signer: BoothSignerDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> BoothLinkRead:
    venue = await venue_of(mission, venue_id, session)
    link = await service.issue_link(
        session=session,
        mission=mission,
        venue=venue,
        seat=Seat(body.seat) if body.seat else None,
        join_lead_seconds=body.join_lead_seconds,
        now=clock.now(),
    )
    await record(
        session,
        actor=user_actor(user),
        action="booth_link.issue",
        entity="venue",
        entity_id=venue.id,
        mission_id=mission.id,
        after={"seat": link.seat, "generation": link.generation, "expires_at": link.expires_at},
    )
    await session.commit()
    return _link_read(link, signer, settings)


@router.get(
    "/missions/{mission_id}/venues/{venue_id}/booth-link",
    response_model=BoothLinkRead,
    summary="The venue's current kiosk link",
)
async def get_booth_link(
    mission: MissionRead,
    venue_id: VenueId,
    session: SessionDep,
    signer: BoothSignerDep,
    settings: SettingsDep,
) -> BoothLinkRead:
    venue = await venue_of(mission, venue_id, session)
    link = await service.get_link(session=session, venue_id=venue.id)
    if link is None:
        raise BoothLinkMissing(venue.id)
    return _link_read(link, signer, settings)


@router.delete(
    "/missions/{mission_id}/venues/{venue_id}/booth-link",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the venue's kiosk link: its kiosks are signed out at their next request",
)
async def revoke_booth_link(
    mission: MissionWrite,
    venue_id: VenueId,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    bus: KioskBusDep,
) -> Response:
    venue = await venue_of(mission, venue_id, session)
    link = await service.revoke_link(session=session, venue_id=venue.id, now=clock.now())
    if link is None:
        raise BoothLinkMissing(venue.id)
    await record(
        session,
        actor=user_actor(user),
        action="booth_link.revoke",
        entity="venue",
        entity_id=venue.id,
        mission_id=mission.id,
        after={"generation": link.generation},
    )
    await session.commit()
    bus.publish(venue.id, {"type": "revoked", "venue_id": venue.id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/missions/{mission_id}/venues/{venue_id}/ring",
    response_model=RingResult,
    summary="Ring the venue's kiosk: it shows and sounds a call for attention",
)
async def ring(
    mission: MissionWrite,
    venue_id: VenueId,
    body: RingRequest,
    session: SessionDep,
    clock: ClockDep,
    bus: KioskBusDep,
    registry: RegistryDep,
) -> RingResult:
    venue = await venue_of(mission, venue_id, session)
    at = isoformat(clock.now())
    delivered = bus.subscriber_count(venue.id)
    bus.publish(
        venue.id, {"type": "ring", "venue_id": venue.id, "meeting_id": body.meeting_id, "at": at}
    )
    registry.bus.publish(
        mission.id,
        {
            "type": "ring",
            "mission_id": mission.id,
            "meeting_id": body.meeting_id,
            "venue_id": venue.id,
            "delivered": delivered,
            "at": at,
        },
    )
    return RingResult(venue_id=venue.id, delivered=delivered)


# The kiosk ----------------------------------------------------------------------------------


@router.get(
    "/kiosk",
    response_model=KioskDetails,
    summary="The kiosk's booth and today's agenda there (header X-Booth-Token)",
)
async def kiosk_details(
    kiosk: KioskDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    registry: RegistryDep,
) -> KioskDetails:
    now = clock.now()
    venue = kiosk.venue
    day = service.local_day(now, venue.timezone)
    lead = kiosk.link.join_lead_seconds
    return KioskDetails(
        venue_id=venue.id,
        venue_name=venue.name,
        venue_kind=venue.kind.value,
        seat=kiosk.claims.seat,
        timezone=venue.timezone,
        city=venue.city,
        country=venue.country,
        mission_id=kiosk.mission.id,
        mission_name=kiosk.mission.name,
        link_expires_at=kiosk.claims.expires_at,
        now=now,
        day=day.isoformat(),
        join_lead_seconds=settings.kiosk_join_lead_seconds if lead is None else lead,
        reminder_minutes=settings.reminder_minutes,
        room_open_lead_seconds=registry.policy.open_lead.total_seconds(),
        bandwidth_bytes=BANDWIDTH_BYTES,
        ice_servers=ice_servers_for_seat(settings, seat_id=f"booth-{venue.id}", now=now),
        meetings=await service.agenda(
            session=session, venue=venue, seat=kiosk.claims.seat, day=day, now=now
        ),
        last_check=_check_read(await service.latest_check(session=session, venue_id=venue.id)),
    )


@router.post(
    "/kiosk/meetings/{meeting_id}/token",
    response_model=KioskToken,
    summary="The kiosk's seat link for one meeting of its agenda (minted when it has none)",
)
async def kiosk_token(
    request: Request,
    meeting_id: PathId,
    kiosk: KioskDep,
    session: SessionDep,
    signer: SignerDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> KioskToken:
    meeting = await service.booth_meeting(session=session, kiosk=kiosk, meeting_id=meeting_id)
    if meeting is None:
        raise NotThisBooth(meeting_id)
    if meeting.status in rooms_service.CLOSED_STATUSES:
        raise MeetingOver(status=meeting.status.value)
    seat = kiosk.claims.seat
    now = clock.now()
    await session.commit()  # a fresh transaction below (see get_kiosk)
    # Both kiosks of a meeting ask at the same moment: mint one at a time (SQLite has one
    # writer, and a read-then-write transaction meeting another fails instead of waiting).
    async with request.app.state.kiosk_mint_lock:
        # The seat's current link if it has one: issuing a new one would cut off the link the
        # party may have had by e-mail (the buyer's own laptop in the business centre).
        link = next(
            (
                row
                for row in await rooms_service.list_links(session=session, meeting_id=meeting.id)
                if row.seat is seat and row.revoked_at is None and row.expires_at > now
            ),
            None,
        )
        if link is None:
            link = await service.mint_seat_link(
                session=session,
                meeting=meeting,
                seat=seat,
                expires_at=meeting.ends_at
                + timedelta(minutes=settings.link_valid_after_end_minutes),
                now=now,
            )
        await session.commit()
    token = signer.sign(rooms_service.claims_of(link))
    return KioskToken(
        meeting_id=meeting.id, seat=seat, token=token, url=f"{settings.base_url}/join#{token}"
    )


@router.post(
    "/kiosk/self-test",
    response_model=BoothCheckRead,
    status_code=status.HTTP_201_CREATED,
    summary="Report the kiosk's self-test; the verdict goes to the organiser's board",
)
async def self_test(
    body: SelfTestReport,
    kiosk: KioskDep,
    session: SessionDep,
    clock: ClockDep,
    registry: RegistryDep,
) -> BoothCheckRead:
    check = await service.record_check(session=session, kiosk=kiosk, report=body, now=clock.now())
    await session.commit()
    read = BoothCheckRead.model_validate(check)
    registry.bus.publish(
        kiosk.mission.id,
        {
            "type": "booth_check",
            "mission_id": kiosk.mission.id,
            "meeting_id": None,
            "venue_id": kiosk.venue.id,
            "venue_name": kiosk.venue.name,
            "at": isoformat(check.at),
            "ready": check.ready,
            "problems": list(check.problems),
        },
    )
    return read


@router.get(
    "/kiosk/bandwidth",
    summary="A sample to time the download from the service (self-test)",
    response_class=Response,
)
async def bandwidth_down(kiosk: KioskDep) -> Response:
    return Response(
        os.urandom(BANDWIDTH_BYTES),
        media_type="application/octet-stream",
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/kiosk/bandwidth",
    response_model=BandwidthEcho,
    summary="Receive a sample to time the upload to the service (self-test)",
)
async def bandwidth_up(kiosk: KioskDep, request: Request) -> BandwidthEcho:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_UPLOAD_BYTES:
            break
    return BandwidthEcho(received_bytes=received)


@router.get(
    "/kiosk/events",
    summary="Server-sent events for the kiosk: `ring`, `revoked`",
    response_class=StreamingResponse,
)
async def kiosk_events(
    kiosk: KioskDep, session: SessionDep, bus: KioskBusDep, clock: ClockDep, registry: RegistryDep
) -> StreamingResponse:
    # The stream outlives the request's session: end its transaction now (see the board's).
    await session.close()
    boards = registry.bus
    venue_id = kiosk.venue.id
    mission_id = kiosk.mission.id
    queue = bus.subscribe(venue_id)

    def online() -> None:  # the board shows which kiosks are open
        boards.publish(
            mission_id,
            {
                "type": "kiosk",
                "mission_id": mission_id,
                "meeting_id": None,
                "venue_id": venue_id,
                "online": bus.subscriber_count(venue_id),
                "at": isoformat(clock.now()),
            },
        )

    online()
    hello: dict[str, Any] = {"type": "hello", "venue_id": venue_id, "at": isoformat(clock.now())}

    def ended() -> None:
        bus.unsubscribe(venue_id, queue)
        online()

    return sse.feed(hello, queue, on_end=ended)
