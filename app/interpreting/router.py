"""HTTP routes of interpreting: the duty log (JSON, CSV, XLSX) and a meeting's candidates."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse, Response

from app.auth.dependencies import require_mission_access
from app.dependencies import SessionDep
from app.interpreting import service
from app.interpreting.candidates import candidates
from app.interpreting.exports import to_csv, to_xlsx
from app.interpreting.schemas import Candidate, DutyLog
from app.meetings.dependencies import MeetingDep
from app.missions.models import Mission

router = APIRouter(tags=["interpreting"])

MissionReadable = Annotated[Mission, Depends(require_mission_access(write=False))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ABOUT = (
    " Time live counts from the moment an interpreter seat holds a channel's microphone to "
    "the moment it stops (handover, leave, drop past the grace period, room closed)."
)


def _attachment(mission: Mission, extension: str) -> dict[str, str]:
    name = f"mission-{mission.id}-interpreter-duty.{extension}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/missions/{mission_id}/interpreter-duty",
    response_model=DutyLog,
    summary="Minutes live per interpreter, meeting and channel, and per interpreter in total",
    description="Exact times; minutes rounded half to even to 0.1." + ABOUT,
)
async def interpreter_duty(session: SessionDep, mission: MissionReadable) -> DutyLog:
    return await service.duty_log(session=session, mission=mission)


@router.get(
    "/missions/{mission_id}/interpreter-duty.csv",
    response_class=PlainTextResponse,
    summary="The duty log as one CSV table: duty rows, then a total per interpreter",
)
async def interpreter_duty_csv(session: SessionDep, mission: MissionReadable) -> Response:
    log = await service.duty_log(session=session, mission=mission)
    return Response(
        await to_thread.run_sync(to_csv, log),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(mission, "csv"),
    )


@router.get(
    "/missions/{mission_id}/interpreter-duty.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="The duty log as an XLSX workbook: sheets Duty and Totals",
)
async def interpreter_duty_xlsx(session: SessionDep, mission: MissionReadable) -> Response:
    log = await service.duty_log(session=session, mission=mission)
    # Seconds of work for a big mission: off the event loop, which also relays media.
    return Response(
        await to_thread.run_sync(to_xlsx, log),
        media_type=XLSX,
        headers=_attachment(mission, "xlsx"),
    )


@router.get(
    "/meetings/{meeting_id}/interpreter-candidates",
    response_model=list[Candidate],
    summary="The mission's interpreters as choices for this meeting, those who fit first",
    description=(
        "Fits: a language pair links the company's and buyer's languages (and covers the "
        "meeting's pair), available in the interpreter's plan, in no overlapping meeting. "
        "The booking rules (PATCH /meetings/{id}) check the same."
    ),
)
async def interpreter_candidates(session: SessionDep, meeting: MeetingDep) -> list[Candidate]:
    return await candidates(session=session, meeting=meeting)
