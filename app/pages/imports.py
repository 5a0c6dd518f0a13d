"""Console pages of the imports: companies and buyers (save the good rows), meetings and
outcomes (preview, then all rows in one transaction), and the mission's exchange rates."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.audit.service import user_actor
from app.auth.dependencies import NowDep
from app.auth.models import User
from app.dependencies import READS_ONLY, SessionDep
from app.errors import PermissionDenied
from app.imports import columns as meetings_columns
from app.imports import participants, service
from app.imports.exceptions import ImportChanged, ImportRefused
from app.imports.plan import Plan
from app.imports.tables import Cell, ImportFileError
from app.missions.models import Mission
from app.money.models import ExchangeRate
from app.outcomes.actors import Actor, Role
from app.pages.access import PageUser, changeable, readable
from app.pages.rendering import render
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

KINDS = ("companies", "buyers", "meetings")
PREVIEW_ROWS = 60  # rows shown in the preview besides the bad ones
SHOWN_PROBLEMS = 1000  # bad rows listed on the page (the API lists every one)


def _kind(value: str | None) -> str:
    return value if value in KINDS else "companies"


async def _writable(session: SessionDep, user: User, mission_id: int) -> Mission | None:
    """The mission for a form that changes it: None if hidden, 403 if only readable."""
    mission = await readable(session, user, mission_id)
    if mission is not None and not await changeable(session, user, mission):
        raise PermissionDenied("you may read this mission but not change it")
    return mission


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, what="mission")


async def _rates(session: SessionDep, mission: Mission) -> list[ExchangeRate]:
    return list(
        await session.scalars(
            select(ExchangeRate)
            .where(ExchangeRate.mission_id == mission.id)
            .order_by(ExchangeRate.currency, ExchangeRate.rate_date)
        )
    )


async def _page(
    request: Request, session: SessionDep, mission: Mission, kind: str, **context: Any
) -> HTMLResponse:
    values = {
        "mission": mission,
        "kind": kind,
        "preview": None,
        "plan": None,
        "error": None,
        "headings": participants.HEADINGS,
        "meeting_headings": meetings_columns.HEADINGS,
        "template_fields": meetings_columns.TEMPLATE_FIELDS,
        "rates": await _rates(session, mission),
    }
    return render(request, "import.html", **(values | context))


@router.get("/missions/{mission_id}/import")
async def import_page(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    user: PageUser,
    kind: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return _not_found(request)
    return await _page(request, session, mission, _kind(kind))


# -- the meetings payload carried from the preview to the confirmation --------------------------


def _tagged(cell: Cell) -> Any:
    if isinstance(cell, datetime):
        return {"dt": cell.isoformat()}
    if isinstance(cell, date):
        return {"d": cell.isoformat()}
    if isinstance(cell, time):
        return {"t": cell.isoformat()}
    return cell


def _untagged(value: Any) -> Cell:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "t" in value:
            return time.fromisoformat(value["t"])
        raise ValueError("unknown cell")
    if value is None or isinstance(value, str | int | float):
        return value  # type: ignore[no-any-return]
    raise ValueError("unknown cell")


def pack(cells: list[list[Cell]]) -> str:
    """The file's cells for the confirm form: JSON, compressed, base64 (the preview's rows
    are checked again on confirm, so this carries no trust)."""
    raw = json.dumps([[_tagged(c) for c in row] for row in cells], ensure_ascii=False)
    return base64.urlsafe_b64encode(zlib.compress(raw.encode(), 6)).decode()


def unpack(payload: str) -> list[list[Cell]]:
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(payload.encode()), bufsize=1 << 20)
        rows = json.loads(raw)
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ValueError("not rows")
        return [[_untagged(value) for value in row] for row in rows]
    except (ValueError, zlib.error, TypeError) as exc:
        raise ImportFileError("import.file.unreadable") from exc


def _meetings_context(plan: Plan) -> dict[str, Any]:
    bad = plan.bad
    good = [row for row in plan.rows if row.ok][:PREVIEW_ROWS]
    shown = sorted(bad[:SHOWN_PROBLEMS] + good, key=lambda row: row.line)
    return {
        "plan": plan,
        "counts": plan.counts(),
        "shown_rows": shown,
        "bad_rows": bad,
        "more_bad": max(0, len(bad) - SHOWN_PROBLEMS),
        "more_good": max(0, len(plan.rows) - len(bad) - len(good)),
    }


def _actor(user: User) -> Actor:
    return Actor(name=user.name or user.email, role=Role.ORGANISER, audit=user_actor(user))


# Checking a file writes nothing: a reading session, so a large file holds no write lock.
@router.post("/missions/{mission_id}/import", openapi_extra=READS_ONLY)
async def import_preview(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    file: Annotated[UploadFile, File()],
    user: PageUser,
    now: NowDep,
    kind: Annotated[str, Form()] = "companies",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    mission = await _writable(session, user, mission_id)
    if mission is None:
        return _not_found(request)
    chosen = _kind(kind)
    if chosen == "meetings":
        content = await file.read(meetings_columns.MAX_BYTES + 1)
        try:
            cells = service.read_file(file.filename or "", content)
            plan = await service.preview(
                session=session, mission=mission, cells=cells, reason=reason, now=now
            )
        except ImportFileError as exc:
            return await _page(request, session, mission, chosen, error=exc)
        return await _page(
            request, session, mission, chosen, payload=pack(cells), reason=reason,
            filename=file.filename or "", **_meetings_context(plan),
        )
    content = await file.read(participants.MAX_BYTES + 1)
    error: ImportFileError | None = None
    preview: participants.ImportPreview | None = None
    try:
        table = participants.read_table(file.filename or "", content)
        preview = await participants.preview(
            session=session, mission=mission, kind=chosen, table=table  # type: ignore[arg-type]
        )
    except ImportFileError as exc:
        error = exc
    good_json = (
        json.dumps([row.data for row in preview.good], ensure_ascii=False) if preview else "[]"
    )
    return await _page(
        request, session, mission, chosen, preview=preview, error=error,
        filename=file.filename, good_json=good_json,
    )


@router.post("/missions/{mission_id}/import/confirm")
async def import_confirm(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    user: PageUser,
    now: NowDep,
    kind: Annotated[str, Form()] = "companies",
    rows: Annotated[str, Form()] = "[]",
    payload: Annotated[str, Form()] = "",
    digest: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    filename: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    mission = await _writable(session, user, mission_id)
    if mission is None:
        return _not_found(request)
    chosen = _kind(kind)
    if chosen == "meetings":
        return await _confirm_meetings(
            request, session, mission, user, now, payload, digest, reason, filename
        )
    try:
        data = json.loads(rows)
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise ValueError("rows must be a list of objects")
    except ValueError:
        return await _page(
            request, session, mission, chosen, error=ImportFileError("import.file.unreadable")
        )
    created, refused = await participants.save(
        session=session, mission=mission, kind=chosen, rows=data  # type: ignore[arg-type]
    )
    query = urlencode({"imported": created, "kind": chosen, "refused": len(refused)})
    return RedirectResponse(f"/missions/{mission_id}?{query}#{chosen}", status_code=303)


async def _confirm_meetings(
    request: Request,
    session: SessionDep,
    mission: Mission,
    user: User,
    now: datetime,
    payload: str,
    digest: str,
    reason: str,
    filename: str,
) -> Response:
    mission_id = mission.id
    try:
        cells = unpack(payload)
        applied = await service.confirm(
            session=session, mission=mission, cells=cells, actor=_actor(user), now=now,
            reason=reason, expected_digest=digest or None, source=filename,
        )
    except ImportFileError as exc:
        return await _page(request, session, mission, "meetings", error=exc)
    except (ImportRefused, ImportChanged) as exc:
        # Shown again as a preview: what the file would do now, and why it was not saved.
        mission = await session.get_one(Mission, mission_id)
        return await _page(
            request, session, mission, "meetings", payload=payload, reason=reason,
            filename=filename, stale=isinstance(exc, ImportChanged),
            **_meetings_context(exc.plan),
        )
    counts = applied.plan.counts()
    query = urlencode({
        "imported": counts["meetings"],
        "created": counts["meetings_created"],
        "updated": counts["meetings_updated"],
        "versions": counts["outcome_versions"],
    })
    return RedirectResponse(f"/missions/{mission_id}/results?{query}", status_code=303)
