"""HTTP API of the meetings import: template, preview, confirm (one transaction)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from app.audit.service import user_actor
from app.auth.dependencies import ConsoleUser, NowDep
from app.dependencies import READS_ONLY, SessionDep
from app.errors import InvalidRequest
from app.imports import service, template
from app.imports.columns import MAX_BYTES, MAX_ROWS
from app.imports.schemas import MeetingsImportOut
from app.imports.tables import Cell, ImportFileError
from app.missions.exceptions import MissionNotFound
from app.missions.models import Mission
from app.outcomes.actors import Actor, Role
from app.schemas import PathId

router = APIRouter(prefix="/missions/{mission_id}/imports/meetings", tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Lang = Annotated[Literal["ko", "en"], Query(description="The headings' language.")]
Upload = Annotated[
    UploadFile,
    File(description=f"CSV (UTF-8 or CP949) or XLSX, at most {MAX_BYTES // 1_000_000} MB and "
                     f"{MAX_ROWS:,} rows; the first row holds the headings."),
]
Reason = Annotated[
    str,
    Form(max_length=2000, description="The reason for the new outcome versions, where a row "
                                      "gives none (needed once the mission is closed)."),
]
_ANSWERS: dict[int | str, dict[str, object]] = {
    422: {"description": "A file that cannot be read, or (confirm) bad rows: every one named "
                         "in `problems` with its line, field and what is wrong"},
    409: {"description": "Confirm: the mission changed since the preview of `preview_digest`"},
}


async def _mission(session: SessionDep, mission_id: int) -> Mission:
    mission = await session.get(Mission, mission_id)
    if mission is None:
        raise MissionNotFound(mission_id)
    return mission


async def _cells(file: UploadFile) -> list[list[Cell]]:
    content = await file.read(MAX_BYTES + 1)
    try:
        return service.read_file(file.filename or "", content)
    except ImportFileError as exc:
        raise _file_error(exc) from None


def _file_error(exc: ImportFileError) -> InvalidRequest:
    """A file the importer cannot use as a whole: 422 with the message and its code."""
    return InvalidRequest(exc.english(), code=exc.key)


def _actor(user: ConsoleUser) -> Actor:
    return Actor(name=user.name or user.email, role=Role.ORGANISER, audit=user_actor(user))


@router.get(
    "/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="Template: the columns, filled with the mission's meetings and current outcomes",
)
async def template_xlsx(
    mission_id: PathId, session: SessionDep, lang: Lang = "en"
) -> Response:
    mission = await _mission(session, mission_id)
    rows = await template.template_rows(session=session, mission=mission, lang=lang)
    content = await template.to_xlsx(session=session, mission=mission, rows=rows, lang=lang)
    name = f"mission-{mission_id}-meetings.xlsx"
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Template as CSV (UTF-8 with BOM): the same columns and rows",
)
async def template_csv(mission_id: PathId, session: SessionDep, lang: Lang = "en") -> Response:
    mission = await _mission(session, mission_id)
    rows = await template.template_rows(session=session, mission=mission, lang=lang)
    name = f"mission-{mission_id}-meetings.csv"
    return Response(template.to_csv(rows, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(
    "/preview",
    response_model=MeetingsImportOut,
    openapi_extra=READS_ONLY,  # writes nothing: a reading session, no write lock held
    responses=_ANSWERS,  # type: ignore[arg-type]
    summary="Check a file: what confirming would do to each meeting, or every bad row",
    description="Nothing is written. `ok` is false when a row is bad; `problems` names each "
    "bad row (line), field and what is wrong. `digest` fingerprints what confirming writes.",
)
async def preview_import(
    mission_id: PathId,
    session: SessionDep,
    file: Upload,
    now: NowDep,
    reason: Reason = "",
) -> MeetingsImportOut:
    mission = await _mission(session, mission_id)
    cells = await _cells(file)
    try:
        plan = await service.preview(
            session=session, mission=mission, cells=cells, reason=reason, now=now
        )
    except ImportFileError as exc:
        raise _file_error(exc) from None
    return MeetingsImportOut.of(plan, applied=False)


@router.post(
    "",
    response_model=MeetingsImportOut,
    responses=_ANSWERS,  # type: ignore[arg-type]
    summary="Import meetings and outcomes: all rows in one transaction, or none",
    description="Rows with a key already imported update their meeting; an outcome gets a new "
    "version only when a value changed, so importing a file again changes nothing. Any bad "
    "row refuses the whole file (422, every problem named). With `preview_digest`, the "
    "import is refused (409) if it would now write anything else than that preview showed.",
)
async def confirm_import(
    mission_id: PathId,
    session: SessionDep,
    file: Upload,
    user: ConsoleUser,
    now: NowDep,
    reason: Reason = "",
    preview_digest: Annotated[str | None, Form(max_length=64)] = None,
) -> MeetingsImportOut:
    mission = await _mission(session, mission_id)
    cells = await _cells(file)
    try:
        applied = await service.confirm(
            session=session,
            mission=mission,
            cells=cells,
            actor=_actor(user),
            now=now,
            reason=reason,
            expected_digest=preview_digest,
            source=file.filename or "",
        )
    except ImportFileError as exc:
        raise _file_error(exc) from None
    return MeetingsImportOut.of(applied.plan, applied=True)
