"""HTTP routes of scheduling: solve, apply, reschedule, party plans, agendas and downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.audit.service import user_actor
from app.auth.dependencies import CurrentUser
from app.auth.models import User
from app.auth.service import can_change_mission
from app.dependencies import READS_ONLY, SessionDep, SettingsDep
from app.missions.dependencies import MissionDep
from app.missions.models import Mission
from app.rooms import service as rooms
from app.rooms.dependencies import SignerDep
from app.rooms.models import SeatLink
from app.scheduling import service
from app.scheduling.models import PartyKind, PartyPlan
from app.scheduling.outputs import PartyKind as AgendaKind
from app.scheduling.schemas import (
    AgendaRead,
    ApplyRequest,
    ApplyResult,
    ChangeApply,
    ChangePreview,
    ChangeResult,
    PartyPlanRead,
    PartyPlanWrite,
    Proposal,
    RescheduleRequest,
    SolveRequest,
)
from app.schemas import PathId, TimeZoneName
from app.settings import Settings
from rooms.links import LinkSigner

router = APIRouter(prefix="/missions/{mission_id}/schedule", tags=["scheduling"])

STALE: dict[int | str, dict[str, Any]] = {
    409: {"description": "The records changed since the proposal (solve or preview again), "
          "or a meeting would be double-booked."},
    422: {"description": "The proposal breaks the schedule's rules, or records are missing."},
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _link_url(signer: LinkSigner, settings: Settings) -> service.LinkUrl:
    # The same URL the rooms API hands out for a seat link (app/rooms/router.py).
    def url(link: SeatLink) -> str | None:
        if link.revoked_at is not None:
            return None
        return f"{settings.base_url}/join#{signer.sign(rooms.claims_of(link))}"

    return url


async def _links_for(
    session: SessionDep, user: User, mission: Mission, signer: LinkSigner, settings: Settings
) -> service.LinkUrl | None:
    """Join links only for users who may change the mission: a link lets anyone holding it
    into the consultation, more than reading the mission allows (viewers get none)."""
    if not await can_change_mission(session=session, user=user, mission=mission):
        return None
    return _link_url(signer, settings)


@router.post("/solve", response_model=Proposal, openapi_extra=READS_ONLY,
             summary="Propose a schedule for the approved requests (nothing is written)")
async def solve(session: SessionDep, mission: MissionDep, body: SolveRequest) -> dict[str, Any]:
    return await service.propose(session=session, mission=mission, body=body)


@router.post("/apply", response_model=ApplyResult, responses=STALE,
             summary="Book a proposal's meetings (a retry of the same proposal books nothing)")
async def apply(
    session: SessionDep, user: CurrentUser, mission: MissionDep, body: ApplyRequest
) -> dict[str, Any]:
    return await service.apply(session=session, mission=mission, body=body, actor=user_actor(user))


@router.post("/reschedule/preview", response_model=ChangePreview, openapi_extra=READS_ONLY,
             summary="After cancellations or no-shows: the moves, additions and removals a "
             "reschedule would make (nothing is written)")
async def preview_reschedule(
    session: SessionDep, mission: MissionDep, body: RescheduleRequest
) -> dict[str, Any]:
    return await service.preview_reschedule(session=session, mission=mission, body=body)


@router.post("/reschedule/apply", response_model=ChangeResult,
             responses=STALE, summary="Carry out a previewed reschedule")
async def apply_reschedule(
    session: SessionDep, user: CurrentUser, mission: MissionDep, body: ChangeApply
) -> dict[str, Any]:
    return await service.apply_reschedule(
        session=session, mission=mission, body=body, actor=user_actor(user)
    )


@router.get("/parties", response_model=list[PartyPlanRead],
            summary="Parties' venues, zones and availability for the scheduler")
async def list_plans(session: SessionDep, mission: MissionDep) -> list[PartyPlan]:
    return await service.list_plans(session=session, mission=mission)


@router.put("/parties/{kind}/{party_id}", response_model=PartyPlanRead,
            summary="Set a party's venue, zone and availability")
async def put_plan(
    session: SessionDep, mission: MissionDep, kind: PartyKind, party_id: PathId,
    body: PartyPlanWrite,
) -> PartyPlan:
    return await service.put_plan(
        session=session, mission=mission, kind=kind, party_id=party_id, data=body
    )


@router.get("/agendas/{kind}/{party_id}", response_model=AgendaRead,
            summary="One party's booked meetings in its own time zone, with its join links")
async def read_agenda(
    session: SessionDep, mission: MissionDep, kind: AgendaKind, party_id: PathId,
    signer: SignerDep, settings: SettingsDep, user: CurrentUser,
) -> dict[str, Any]:
    loaded, agenda = await service.agenda(
        session=session, mission=mission, kind=kind, party_id=party_id,
        link_url=await _links_for(session, user, mission, signer, settings),
    )
    return service.agenda_json(loaded, agenda)


@router.get("/agendas/{kind}/{party_id}/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}},
            summary="One party's meetings as calendar invites (UTC) with its seat's join link")
async def download_calendar(
    session: SessionDep, mission: MissionDep, kind: AgendaKind, party_id: PathId,
    signer: SignerDep, settings: SettingsDep, user: CurrentUser,
) -> Response:
    body = await service.agenda_calendar(
        session=session, mission=mission, kind=kind, party_id=party_id,
        link_url=await _links_for(session, user, mission, signer, settings),
        reminder_minutes=settings.reminder_minutes,
    )
    filename = f"mission-{mission.id}-{kind}-{party_id}.ics"
    return Response(
        body, media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/grid.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}},
            summary="The organiser's grid: a sheet per day, a row per booth, a column per slot")
async def download_grid(
    session: SessionDep, mission: MissionDep,
    tz: Annotated[TimeZoneName | None, Query(description="Default: the mission's zone.")] = None,
) -> Response:
    body = await service.grid_workbook(session=session, mission=mission, tz=tz)
    return Response(
        body, media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="mission-{mission.id}.xlsx"'},
    )

