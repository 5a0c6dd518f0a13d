"""Console page of a mission's meeting requests: ask for a meeting, approve or decline.

Each request says which languages the meeting needs and whether an interpreter of the
mission covers them, so a ko-vi request without a ko-vi interpreter is visible before
solving, not only as an unplaced request after.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import SessionDep
from app.matching import service as matching
from app.matching.exceptions import DecisionRefused, RequestExists
from app.matching.models import MeetingRequest, RequestStatus
from app.matching.schemas import RequestCreate
from app.missions.models import Mission
from app.pages.access import PageUser, changeable, readable, writable
from app.pages.forms import Field, Problems, problem, problems_of
from app.pages.rendering import not_found, render
from app.participants.exceptions import ParticipantNotFound
from app.participants.languages import meeting_pair
from app.participants.models import Buyer, Company, Interpreter
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

FIELDS = {
    "company_id": Field("seat.company", "form.accepts.choice"),
    "buyer_id": Field("seat.buyer", "form.accepts.choice"),
    "priority": Field("requests.priority", "form.accepts.whole_number", {"min": 0, "max": 100}),
    "requested_by": Field("requests.requested_by", "form.accepts.choice"),
    "note": Field("requests.note", "form.accepts.text", {"max": 500}),
}
STATUSES = ("requested", "accepted", "approved", "declined")


def _covered(pair: str, interpreters: list[Interpreter]) -> bool:
    first, _, second = pair.partition("-")
    both = {f"{first}-{second}", f"{second}-{first}"}
    return any(both & set(i.language_pairs) for i in interpreters)


async def _context(session: AsyncSession, mission: Mission, status: str | None) -> dict[str, Any]:
    companies = list(await session.scalars(
        select(Company).where(Company.mission_id == mission.id).order_by(Company.name)))
    buyers = list(await session.scalars(
        select(Buyer).where(Buyer.mission_id == mission.id).order_by(Buyer.company_name)))
    interpreters = list(await session.scalars(
        select(Interpreter).where(Interpreter.mission_id == mission.id)))
    statement = (
        select(MeetingRequest)
        .where(MeetingRequest.mission_id == mission.id)
        .order_by(MeetingRequest.status, MeetingRequest.priority.desc(),
                  MeetingRequest.score.desc(), MeetingRequest.id)
    )
    every = list(await session.scalars(statement))
    counts = {name: sum(1 for r in every if r.status.value == name) for name in STATUSES}
    shown = [r for r in every if status is None or r.status.value == status]
    company_of = {c.id: c for c in companies}
    buyer_of = {b.id: b for b in buyers}
    needs: dict[int, tuple[str, bool]] = {}
    for row in shown:
        pair = meeting_pair(company_of[row.company_id], buyer_of[row.buyer_id], row.language_pair)
        needs[row.id] = (pair, not pair or _covered(pair, interpreters))
    return {
        "requests": shown, "counts": counts, "total": len(every), "status": status,
        "companies": companies, "buyers": buyers, "company_of": company_of,
        "buyer_of": buyer_of, "needs": needs,
        "open_count": counts["requested"] + counts["accepted"],
    }


async def _page(
    request: Request, session: AsyncSession, user: Any, mission: Mission, *,
    values: dict[str, str] | None = None, problems: Problems | None = None,
    notice: str | None = None, status_code: int = 200,
) -> HTMLResponse:
    status = request.query_params.get("status")
    return render(
        request, "requests.html", status_code=status_code, mission=mission, section="requests",
        can_change=await changeable(session, user, mission),
        values=values or {"priority": "1", "requested_by": "organiser"},
        problems=problems or {}, notice=notice or request.query_params.get("done"),
        **await _context(session, mission, status if status in STATUSES else None),
    )


@router.get("/missions/{mission_id}/requests")
async def requests_page(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    return await _page(request, session, user, mission)


@router.post("/missions/{mission_id}/requests")
async def add_request(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items()}
    problems: Problems = {}
    try:
        data = RequestCreate.model_validate({
            "company_id": values.get("company_id") or None,
            "buyer_id": values.get("buyer_id") or None,
            "requested_by": values.get("requested_by") or "organiser",
            "priority": values.get("priority") or 1,
            "note": values.get("note", ""),
        })
    except ValidationError as exc:
        problems = problems_of(exc, FIELDS)
    else:
        try:
            row = await matching.create_request(session=session, mission=mission, data=data)
            if values.get("approve"):
                await matching.decide(session=session, request=row,
                                      status=RequestStatus.APPROVED)
        except RequestExists:
            problems["buyer_id"] = problem("buyer_id", FIELDS["buyer_id"],
                                           "requests.accepts.exists")
        except ParticipantNotFound as exc:
            name = "company_id" if "company_id" in exc.details else "buyer_id"
            problems[name] = problem(name, FIELDS[name])
        else:
            return RedirectResponse(
                f"/missions/{mission_id}/requests?done=added#request-{row.id}", status_code=303
            )
        mission = await session.get_one(Mission, mission_id)
    return await _page(request, session, user, mission, values=values, problems=problems)


async def _decide(
    request: Request, session: AsyncSession, mission_id: int, request_id: int, user: Any,
    status: RequestStatus,
) -> Response:
    mission = await writable(session, user, mission_id)
    row = await session.get(MeetingRequest, request_id)
    if mission is None or row is None or row.mission_id != mission.id:
        return not_found(request, "request")
    form = await request.form()
    priority: int | None = None
    raw = str(form.get("priority", "")).strip()
    if status is RequestStatus.APPROVED and raw:
        if not raw.isdigit() or not 0 <= int(raw) <= 100:
            return await _page(request, session, user, mission, problems={
                "priority": problem("priority", FIELDS["priority"])})
        priority = int(raw)
    try:
        await matching.decide(session=session, request=row, status=status, priority=priority)
    except DecisionRefused:
        return await _page(request, session, user, mission, notice="refused")
    back = str(form.get("back", "")) or ""
    query = f"status={back}&" if back in STATUSES else ""
    return RedirectResponse(
        f"/missions/{mission_id}/requests?{query}done={status.value}#request-{request_id}",
        status_code=303,
    )


@router.post("/missions/{mission_id}/requests/{request_id}/approve")
async def approve(
    request: Request, session: SessionDep, mission_id: PathId, request_id: PathId,
    user: PageUser,
) -> Response:
    return await _decide(request, session, mission_id, request_id, user, RequestStatus.APPROVED)


@router.post("/missions/{mission_id}/requests/{request_id}/decline")
async def decline(
    request: Request, session: SessionDep, mission_id: PathId, request_id: PathId,
    user: PageUser,
) -> Response:
    return await _decide(request, session, mission_id, request_id, user, RequestStatus.DECLINED)


@router.post("/missions/{mission_id}/requests/approve-open")
async def approve_open(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser
) -> Response:
    """Every requested or accepted request onto the final list, priorities kept."""
    mission = await writable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    rows = list(await session.scalars(
        select(MeetingRequest).where(
            MeetingRequest.mission_id == mission.id,
            MeetingRequest.status.in_([RequestStatus.REQUESTED, RequestStatus.ACCEPTED]),
        ).order_by(MeetingRequest.id)
    ))
    for row in rows:
        await matching.decide(session=session, request=row, status=RequestStatus.APPROVED)
    return RedirectResponse(f"/missions/{mission_id}/requests?done=approved_all",
                            status_code=303)
