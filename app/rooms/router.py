"""HTTP routes of rooms: seat links, the join details, the slot, attendance and the live board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from app import sse
from app.audit.service import record, user_actor
from app.auth.dependencies import ConsoleUser, authorize_console
from app.auth.service import can_change_mission
from app.clock import ClockDep
from app.cluster.base import seat_websocket_url
from app.dependencies import SessionDep, SettingsDep
from app.errors import NotFound
from app.missions.models import Mission
from app.rooms import service
from app.rooms.dependencies import (
    ClusterDep,
    MeetingDep,
    MissionId,
    RegistryDep,
    SignerDep,
)
from app.rooms.models import SeatLink
from app.rooms.schemas import (
    AttendanceRead,
    Board,
    BoardRoom,
    ExtendRequest,
    JoinDetails,
    JoinParty,
    JoinRequest,
    LinkRead,
    LinksIssue,
)
from app.schemas import PathId
from app.settings import Settings
from app.turn import ice_servers_for_seat, seat_id
from rooms.errors import LinkInvalid, NoCapacity, RoomClosed
from rooms.links import LinkSigner
from rooms.messages import PROTOCOL_VERSION
from rooms.protocol import Side, json_schema
from rooms.seats import Seat

router = APIRouter(tags=["rooms"])

# Every route but /join: a console user who may reach the meeting's (or path's) mission, and
# change it to issue or revoke links, extend or close a room (docs/security.md). A seat's
# link opens /join and the websocket only.
CONSOLE = [Depends(authorize_console)]


def _link_read(link: SeatLink, signer: LinkSigner, settings: Settings) -> LinkRead:
    token = None if link.revoked_at else signer.sign(service.claims_of(link))
    return LinkRead(
        seat=link.seat,
        generation=link.generation,
        expires_at=link.expires_at,
        issued_at=link.issued_at,
        revoked=link.revoked_at is not None,
        token=token,
        url=f"{settings.base_url}/join#{token}" if token else None,
    )


def websocket_url(settings: Settings, meeting_id: int) -> str:
    """The seat websocket at the service's entry (any node; it sends seats on to the room's)."""
    return seat_websocket_url(settings.base_url, meeting_id)


@router.get(
    "/meetings/{meeting_id}/links",
    dependencies=CONSOLE,
    response_model=list[LinkRead],
    summary="The meeting's current seat links (tokens only for users who may change the mission)",
)
async def list_links(
    meeting: MeetingDep,
    session: SessionDep,
    signer: SignerDep,
    settings: SettingsDep,
    user: ConsoleUser,
) -> list[LinkRead]:
    links = await service.list_links(session=session, meeting_id=meeting.id)
    mission = await session.get_one(Mission, meeting.mission_id)
    # A token lets its holder into the consultation: only users who may change the mission
    # (who could issue a new one anyway) see tokens; a viewer sees which links exist.
    if not await can_change_mission(session=session, user=user, mission=mission):
        return [
            _link_read(link, signer, settings).model_copy(update={"token": None, "url": None})
            for link in links
        ]
    return [_link_read(link, signer, settings) for link in links]


@router.post(
    "/meetings/{meeting_id}/links",
    dependencies=CONSOLE,
    response_model=list[LinkRead],
    status_code=status.HTTP_201_CREATED,
    summary="Issue or re-issue seat links (earlier links of those seats stop working)",
)
async def issue_links(
    meeting: MeetingDep,
    body: LinksIssue,
    session: SessionDep,
    signer: SignerDep,
    settings: SettingsDep,
    clock: ClockDep,
    user: ConsoleUser,
) -> list[LinkRead]:
    seats = service.seats_of(meeting)
    wanted = body.seats if body.seats is not None else seats
    for seat in wanted:
        if seat not in seats:
            raise NotFound(f"meeting {meeting.id} has no {seat} seat", seat=seat.value)
    expires_at = body.expires_at or meeting.ends_at + timedelta(
        minutes=settings.link_valid_after_end_minutes
    )
    now = clock.now()
    links = [
        await service.issue_link(
            session=session, meeting=meeting, seat=seat, expires_at=expires_at, now=now
        )
        for seat in dict.fromkeys(wanted)
    ]
    for link in links:  # never the token: a link's audit says which one, not how to use it
        await record(
            session,
            actor=user_actor(user),
            action="seat_link.issue",
            entity="seat_link",
            entity_id=f"{meeting.id}:{link.seat.value}",
            mission_id=meeting.mission_id,
            after={
                "meeting_id": meeting.id,
                "seat": link.seat,
                "generation": link.generation,
                "expires_at": link.expires_at,
            },
            at=now,
        )
    await session.commit()
    return [_link_read(link, signer, settings) for link in links]


@router.delete(
    "/meetings/{meeting_id}/links/{seat}",
    dependencies=CONSOLE,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a seat's link (a new one can be issued later)",
)
async def revoke_link(
    meeting: MeetingDep, seat: Seat, session: SessionDep, clock: ClockDep, user: ConsoleUser
) -> Response:
    now = clock.now()
    link = await service.revoke_link(session=session, meeting_id=meeting.id, seat=seat, now=now)
    if link is None:
        raise NotFound(f"meeting {meeting.id} has no link for the {seat} seat")
    await record(
        session,
        actor=user_actor(user),
        action="seat_link.revoke",
        entity="seat_link",
        entity_id=f"{meeting.id}:{seat.value}",
        mission_id=meeting.mission_id,
        after={"meeting_id": meeting.id, "seat": seat, "generation": link.generation},
        at=now,
    )
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/join",
    response_model=JoinDetails,
    summary="What a seat needs to join, by its token",
    responses={
        503: {
            "description": "Every node is at capacity: no new room can open now (`no_capacity`); "
            "see Retry-After"
        }
    },
)
async def join_details(
    body: JoinRequest,
    session: SessionDep,
    signer: SignerDep,
    settings: SettingsDep,
    clock: ClockDep,
    registry: RegistryDep,
    cluster: ClusterDep,
) -> JoinDetails:
    claims = await service.check_token(
        session=session, signer=signer, token=body.token, meeting_id=None, now=clock.now()
    )
    facts = await service.meeting_facts(session=session, meeting_id=claims.meeting_id)
    if facts is None:
        raise LinkInvalid()
    meeting = facts.meeting
    await session.close()  # placement may wait on Redis: hold no database transaction meanwhile
    entry = websocket_url(settings, meeting.id)
    target, room_open = entry, False
    opens_at = meeting.starts_at - registry.policy.open_lead
    if meeting.status not in service.CLOSED_STATUSES and opens_at <= clock.now() < meeting.ends_at:
        # The room may open now: place it (or find it), so the seat connects to its node.
        try:
            placement = await cluster.place(meeting.id, mission_id=meeting.mission_id)
        except NoCapacity as exc:
            await cluster.refuse(
                mission_id=meeting.mission_id, meeting_id=meeting.id, retry_after=exc.retry_after
            )
            raise
        target = placement.node.websocket_url(meeting.id)
        room = registry.get(meeting.id) if placement.local else None
        room_open = (room is not None and not room.closed) or not (placement.local or placement.new)
    return JoinDetails(
        meeting_id=meeting.id,
        mission_id=facts.mission.id,
        mission_name=facts.mission.name,
        seat=claims.seat,
        company=JoinParty(name=facts.company.name),
        buyer=JoinParty(
            name=facts.buyer.company_name, country=facts.buyer.country, city=facts.buyer.city
        ),
        interpreter=JoinParty(name=facts.interpreter.name) if facts.interpreter else None,
        partner=JoinParty(name=facts.partner.name) if facts.partner else None,
        language_pair=meeting.language_pair,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        opens_at=opens_at,
        now=clock.now(),
        status=meeting.status.value,
        room_open=room_open,
        websocket_url=target,
        entry_websocket_url=entry,
        # The static servers plus TURN with credentials of this seat's own, time-limited.
        ice_servers=ice_servers_for_seat(
            settings, seat_id=seat_id(meeting.id, claims.seat.value), now=clock.now()
        ),
        link_expires_at=claims.expires_at,
        protocol=PROTOCOL_VERSION,
    )


@router.get(
    "/signalling/schema/{side}",
    summary="JSON Schema of the seat websocket's messages: `server` (what it sends), `client`",
    response_description="A JSON Schema (2020-12) document; `x-protocol` is the version.",
    responses={200: {"content": {"application/schema+json": {}}}},
)
async def signalling_schema(side: Side) -> JSONResponse:
    """Generated from the message catalogue (rooms/messages.py); docs/signalling.md explains
    every message. Public: it says nothing about any meeting."""
    return JSONResponse(
        json_schema(side),
        media_type="application/schema+json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/meetings/{meeting_id}/attendance",
    dependencies=CONSOLE,
    response_model=list[AttendanceRead],
    summary="The meeting's attendance log",
)
async def attendance(meeting: MeetingDep, session: SessionDep) -> Any:
    return await service.list_attendance(session=session, meeting_id=meeting.id)


@router.post(
    "/meetings/{meeting_id}/room/extend",
    dependencies=CONSOLE,
    summary="Extend the slot; an open room keeps running until the new end",
)
async def extend(
    meeting: MeetingDep,
    body: ExtendRequest,
    session: SessionDep,
    cluster: ClusterDep,
    user: ConsoleUser,
) -> dict[str, Any]:
    if meeting.status in service.CLOSED_STATUSES:
        raise RoomClosed(status=meeting.status.value)
    before = meeting.ends_at
    await service.extend_meeting(
        session=session, meeting=meeting, by=timedelta(minutes=body.minutes)
    )
    await record(
        session,
        actor=user_actor(user),
        action="room.extend",
        entity="meeting",
        entity_id=meeting.id,
        mission_id=meeting.mission_id,
        before={"ends_at": before},
        after={"ends_at": meeting.ends_at, "minutes": body.minutes},
    )
    await session.commit()
    # The open room, on whichever node it runs, keeps going until the new end.
    await cluster.extend_room(meeting.id, meeting.ends_at)
    return {"meeting_id": meeting.id, "ends_at": meeting.ends_at.isoformat()}


@router.post(
    "/meetings/{meeting_id}/room/close",
    dependencies=CONSOLE,
    summary="End the consultation now; the meeting's status is settled as at the slot's end",
)
async def close_room(
    meeting: MeetingDep, session: SessionDep, cluster: ClusterDep, user: ConsoleUser
) -> dict[str, Any]:
    if await cluster.locate(meeting.id) is None:
        raise NotFound(f"meeting {meeting.id} has no open room")
    await record(
        session,
        actor=user_actor(user),
        action="room.close",
        entity="meeting",
        entity_id=meeting.id,
        mission_id=meeting.mission_id,
        before={"status": meeting.status},
    )
    await session.commit()
    # The room records the end through its own sessions: end this one's transaction first,
    # or SQLite would make those writes wait for this request to finish.
    await session.close()
    if not await cluster.close_room(meeting.id):
        raise NotFound(f"meeting {meeting.id} has no open room")
    return {"meeting_id": meeting.id, "closed": True}


async def _mission_or_404(session: SessionDep, mission_id: PathId) -> Mission:
    mission = await session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(f"mission {mission_id} not found", mission_id=mission_id)
    return mission


@router.get(
    "/missions/{mission_id}/board",
    dependencies=CONSOLE,
    response_model=Board,
    summary="The mission's rooms, live (on every node)",
)
async def board(
    mission_id: MissionId, session: SessionDep, cluster: ClusterDep, clock: ClockDep
) -> Board:
    await _mission_or_404(session, mission_id)
    meetings = await service.mission_meetings(session=session, mission_id=mission_id)
    await session.close()  # the nodes are asked next: hold no transaction meanwhile
    live_rooms = {room["meeting_id"]: room for room in await cluster.room_snapshots(mission_id)}
    refused = await cluster.refusals(mission_id)
    rooms = []
    for meeting in meetings:
        live = live_rooms.get(meeting.id)
        refusal = refused.get(meeting.id)
        rooms.append(
            BoardRoom(
                meeting_id=meeting.id,
                status=meeting.status.value,
                starts_at=meeting.starts_at,
                ends_at=live["ends_at"] if live else meeting.ends_at,
                open=live is not None,
                live=live,
                node=live.get("node") if live else None,
                refused_at=refusal.at if refusal and live is None else None,
            )
        )
    return Board(mission_id=mission_id, at=clock.now(), rooms=rooms)


@router.get(
    "/missions/{mission_id}/board/events",
    dependencies=CONSOLE,
    summary="Server-sent events: presence, speaking, timer, chat counts, media stats and "
    "refused joins, from rooms on every node",
    response_class=StreamingResponse,
)
async def board_events(
    mission_id: MissionId,
    session: SessionDep,
    registry: RegistryDep,
    cluster: ClusterDep,
    clock: ClockDep,
) -> StreamingResponse:
    await _mission_or_404(session, mission_id)
    # The stream outlives the request's session: end its transaction now, or SQLite's read
    # lock would hold every writer (attendance, status) back for as long as the board watches.
    await session.close()
    bus = registry.bus
    queue = bus.subscribe(mission_id)  # first: no event between the snapshot and the feed is lost
    rooms = await cluster.room_snapshots(mission_id)
    open_ids = {room["meeting_id"] for room in rooms}
    refused = await cluster.refusals(mission_id)
    snapshot = {
        "type": "snapshot",
        "mission_id": mission_id,
        "at": clock.now().isoformat(),
        "rooms": rooms,
        # Meetings a join was refused for (every node full) that have not opened since.
        "refused": [
            cluster.refusal_event(refusal, mission_id)
            for meeting_id, refusal in sorted(refused.items())
            if meeting_id not in open_ids
        ],
    }

    return sse.feed(snapshot, queue, on_end=lambda: bus.unsubscribe(mission_id, queue))
