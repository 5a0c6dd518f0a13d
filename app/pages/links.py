"""Console page of a mission's seat links: every booked meeting's links in one place, to
issue the missing ones at once and send each party its own (copy or open).

Links are what lets someone into a consultation: like the rooms API, only users who may
change the mission see them (a viewer sees which exist, not the links).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.audit.service import record, user_actor
from app.clock import ClockDep
from app.dependencies import SessionDep, SettingsDep
from app.meetings.models import Meeting, MeetingStatus
from app.pages.access import PageUser, changeable, readable, writable
from app.pages.queries import meeting_parties
from app.pages.rendering import not_found, render
from app.pages.zones import mission_zones
from app.rooms import service as rooms
from app.rooms.dependencies import SignerDep
from app.rooms.models import SeatLink
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

# Seats whose links go to people (the organiser's own seat is the board's "listen").
SENT_SEATS = ("company", "buyer", "interpreter", "partner")


@router.get("/missions/{mission_id}/links")
async def links_page(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser,
    signer: SignerDep, settings: SettingsDep, clock: ClockDep,
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    meetings = list(await session.scalars(
        select(Meeting)
        .where(Meeting.mission_id == mission.id, Meeting.status != MeetingStatus.CANCELLED)
        .order_by(Meeting.starts_at, Meeting.id)
    ))
    can_change = await changeable(session, user, mission)
    rows = await session.scalars(
        select(SeatLink).where(SeatLink.meeting_id.in_([m.id for m in meetings]))
    )
    now = clock.now()
    links: dict[int, dict[str, dict[str, Any]]] = {}
    missing = 0
    for link in rows:
        live = link.revoked_at is None and link.expires_at > now
        url = None
        if live and can_change:
            url = f"{settings.base_url}/join#{signer.sign(rooms.claims_of(link))}"
        links.setdefault(link.meeting_id, {})[link.seat.value] = {
            "url": url, "live": live, "expires_at": link.expires_at,
        }
    after_end = timedelta(minutes=settings.link_valid_after_end_minutes)
    for meeting in meetings:
        if meeting.ends_at + after_end <= now:
            continue  # over: a link would be born expired
        for seat in rooms.seats_of(meeting):
            if seat.value in SENT_SEATS and not links.get(meeting.id, {}).get(
                seat.value, {}
            ).get("live"):
                missing += 1
    counts = {name: request.query_params.get(name) for name in ("booked", "moved", "cancelled")}
    return render(
        request, "links.html", mission=mission, section="links", meetings=meetings,
        parties=await meeting_parties(session, meetings), links=links, missing=missing,
        can_change=can_change, zones=await mission_zones(session, mission),
        seats_of=lambda m: [s.value for s in rooms.seats_of(m) if s.value in SENT_SEATS],
        counts=counts if any(counts.values()) else None,
        issued=request.query_params.get("issued"),
    )


@router.post("/missions/{mission_id}/links/issue")
async def issue_missing(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser,
    settings: SettingsDep, clock: ClockDep,
) -> Response:
    """A link for every seat of every booked meeting that has no live one."""
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    now = clock.now()
    meetings = list(await session.scalars(
        select(Meeting).where(
            Meeting.mission_id == mission.id,
            Meeting.status.not_in([MeetingStatus.CANCELLED, MeetingStatus.COMPLETED,
                                   MeetingStatus.NO_SHOW]),
        ).order_by(Meeting.starts_at, Meeting.id)
    ))
    existing = {
        (link.meeting_id, link.seat.value): link
        for link in await session.scalars(
            select(SeatLink).where(SeatLink.meeting_id.in_([m.id for m in meetings]))
        )
    }
    issued = 0
    for meeting in meetings:
        expires_at = meeting.ends_at + timedelta(minutes=settings.link_valid_after_end_minutes)
        if expires_at <= now:
            continue  # over: a link would be born expired
        for seat in rooms.seats_of(meeting):
            if seat.value not in SENT_SEATS:
                continue
            link = existing.get((meeting.id, seat.value))
            if link is not None and link.revoked_at is None and link.expires_at > now:
                continue
            made = await rooms.issue_link(
                session=session, meeting=meeting, seat=seat, expires_at=expires_at, now=now
            )
            await record(
                session, actor=user_actor(user), action="seat_link.issue", entity="seat_link",
                entity_id=f"{meeting.id}:{seat.value}", mission_id=mission.id,
                after={"meeting_id": meeting.id, "seat": seat, "generation": made.generation,
                       "expires_at": made.expires_at},
                at=now,
            )
            issued += 1
    await session.commit()
    return RedirectResponse(f"/missions/{mission_id}/links?issued={issued}", status_code=303)
