"""The organiser's live board: one day's consultations (today by default), as a table or, for
an expo's hundreds of booths, a compact wall of one tile per booth (its meeting now or next).

static/js/board.js keeps either view live from the board's event feed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app import clock
from app.dependencies import SessionDep
from app.meetings.models import Meeting
from app.missions.models import Venue
from app.pages import schedule
from app.pages.access import PageUser, readable
from app.pages.queries import meeting_parties, mission_meetings
from app.pages.rendering import not_found, render
from app.pages.zones import mission_zones
from app.schemas import PathId

router = APIRouter(include_in_schema=False)


def booth_tiles(meetings: list[Meeting], now: datetime) -> list[Meeting]:
    """Per booth (or per company without one), the meeting running now, else the next one
    of the day, else the day's last: what a wall of booths shows."""
    by_booth: dict[tuple[str, int], list[Meeting]] = {}
    for meeting in meetings:
        key = ("venue", meeting.company_venue_id) if meeting.company_venue_id else (
            "company", meeting.company_id)
        by_booth.setdefault(key, []).append(meeting)
    tiles = []
    for rows in by_booth.values():
        rows.sort(key=lambda m: (m.starts_at, m.id))
        running = [m for m in rows if m.starts_at <= now < m.ends_at]
        upcoming = [m for m in rows if m.starts_at > now]
        tiles.append((running or upcoming or rows[-1:])[0])
    return tiles


@router.get("/missions/{mission_id}/board")
async def board_page(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    user: PageUser,
    day: Annotated[date | None, Query()] = None,
    view: Annotated[Literal["table", "compact"] | None, Query()] = None,
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    every = await mission_meetings(session, mission.id)
    tz = mission.timezone
    now = clock.now()
    meeting_days = sorted({schedule.local_day(m.starts_at, tz) for m in every})
    today = schedule.local_day(now, tz)
    chosen = day or schedule.pick_day(mission, meeting_days, today)
    start, end = schedule.day_bounds(chosen, tz)
    # The day's consultations and any that runs into it: one that began before midnight and
    # runs now is on today's board.
    meetings = [m for m in every if m.starts_at < end and m.ends_at > start]
    day_count = len(meetings)  # before the compact wall keeps one per booth
    # Hundreds of booths: the compact wall by default; a district mission: the table.
    shown = view or ("compact" if len({m.company_venue_id for m in meetings}) > 40 else "table")
    if shown == "compact":
        meetings = sorted(booth_tiles(meetings, now), key=lambda m: (m.company_venue_id or 0,
                                                                     m.starts_at))
    venues = {
        v.id: v for v in await session.scalars(select(Venue).where(Venue.mission_id == mission.id))
    }
    if shown == "compact":
        meetings.sort(key=lambda m: (venues[m.company_venue_id].name
                                     if m.company_venue_id in venues else "~", m.starts_at))
    return render(
        request, "board.html", mission=mission, meetings=meetings,
        parties=await meeting_parties(session, meetings),
        days=sorted(set(schedule.mission_days(mission)) | set(meeting_days)),
        day=chosen, today=today, view=shown, venues=venues, now=now,
        zones=await mission_zones(session, mission), day_count=day_count,
    )
