"""HTTP API of mission reports: JSON, CSV, XLSX, press paragraphs and comparisons."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response

from app.auth.dependencies import ConsoleUser, check_mission
from app.database import utcnow
from app.dependencies import SessionDep
from app.reports import service
from app.reports.exports import to_csv, to_xlsx
from app.reports.schemas import Comparison, PressRelease, Report
from app.schemas import PathId, PrimaryKey

router = APIRouter(tags=["reports"])

AsOf = Annotated[
    date | None,
    Query(description="Count contracts signed in follow-up up to this day; today (UTC) if unset."),
]
Organiser = Annotated[str, Query(max_length=200, description="Named in the press paragraphs.")]
MissionIds = Annotated[list[PrimaryKey], Query(alias="mission_id", min_length=1, max_length=100)]


async def _visible(session: SessionDep, user: ConsoleUser, mission_ids: MissionIds) -> list[int]:
    """The query's missions, each one the user may read (another organisation's: 404)."""
    for mission_id in dict.fromkeys(mission_ids):
        await check_mission(session=session, user=user, mission_id=mission_id, write=False)
    return mission_ids


VisibleMissionIds = Annotated[list[int], Depends(_visible)]


async def _report(
    session: SessionDep, mission_ids: list[int], as_of: date | None, organiser: str
) -> Report:
    return await service.build_report(
        session=session,
        mission_ids=mission_ids,
        as_of=as_of or utcnow().date(),
        organiser=organiser,
    )


@router.get(
    "/missions/{mission_id}/report",
    response_model=Report,
    summary="The mission's results: summary, breakdowns, contracts signed later, press text",
)
async def mission_report(
    mission_id: PathId, session: SessionDep, as_of: AsOf = None, organiser: Organiser = ""
) -> Report:
    return await _report(session, [mission_id], as_of, organiser)


@router.get(
    "/missions/{mission_id}/report.csv",
    response_class=PlainTextResponse,
    summary="Summary and every breakdown as one CSV table",
)
async def mission_report_csv(
    mission_id: PathId, session: SessionDep, as_of: AsOf = None
) -> Response:
    report = await _report(session, [mission_id], as_of, "")
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mission-{mission_id}-report.csv"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/missions/{mission_id}/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="XLSX workbook: Summary, one sheet per breakdown, Signed later, Press release",
)
async def mission_report_xlsx(
    mission_id: PathId, session: SessionDep, as_of: AsOf = None, organiser: Organiser = ""
) -> Response:
    report = await _report(session, [mission_id], as_of, organiser)
    return Response(
        to_xlsx(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="mission-{mission_id}-report.xlsx"'},
    )


@router.get(
    "/missions/{mission_id}/report/press",
    response_model=PressRelease,
    summary="The press-release paragraph in English and Korean",
)
async def mission_press(
    mission_id: PathId, session: SessionDep, as_of: AsOf = None, organiser: Organiser = ""
) -> PressRelease:
    return (await _report(session, [mission_id], as_of, organiser)).press_release


@router.get(
    "/missions/{mission_id}/report/press.txt",
    response_class=PlainTextResponse,
    summary="The press paragraphs as a text file to download: Korean, then English",
)
async def mission_press_text(
    mission_id: PathId,
    session: SessionDep,
    as_of: AsOf = None,
    organiser: Organiser = "",
    lang: Annotated[
        Literal["ko", "en"] | None, Query(description="Only this language; both if unset.")
    ] = None,
) -> Response:
    press = (await _report(session, [mission_id], as_of, organiser)).press_release
    parts = {"ko": press.ko, "en": press.en}
    text = parts[lang] if lang else f"{press.ko}\n\n{press.en}"
    suffix = f"-{lang}" if lang else ""
    return Response(
        text + "\n",
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="mission-{mission_id}-press{suffix}.txt"'
        },
    )


@router.get(
    "/reports/summary",
    response_model=Report,
    summary="One report over several missions (e.g. a year's), all breakdowns",
)
async def combined_report(
    mission_ids: VisibleMissionIds,
    session: SessionDep,
    as_of: AsOf = None,
    organiser: Organiser = "",
) -> Report:
    return await _report(session, mission_ids, as_of, organiser)


@router.get(
    "/reports/comparison",
    response_model=Comparison,
    summary="Missions side by side, oldest first, with the change from the one before",
)
async def comparison(mission_ids: VisibleMissionIds, session: SessionDep) -> Comparison:
    return await service.compare(session=session, mission_ids=mission_ids)
