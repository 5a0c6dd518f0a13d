"""HTTP API of meeting outcomes: record, edit (append a version), read, list versions."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.audit.service import user_actor
from app.auth.dependencies import ConsoleUser
from app.dependencies import SessionDep
from app.money.routing import DecimalJSONRoute
from app.outcomes import service
from app.outcomes.actors import Actor
from app.outcomes.dependencies import Caller, CurrentOutcome, OutcomeCaller
from app.outcomes.schemas import MissionClose, OutcomeEdit, OutcomeIn, OutcomeVersionOut
from app.schemas import PathId

router = APIRouter(tags=["outcomes"], route_class=DecimalJSONRoute)

_ERRORS = {
    401: {"description": "Neither a console session nor a seat link"},
    403: {
        "description": "Mission closed and the caller is not the organiser; a seat link not "
        "valid for this meeting; a console user who may not change the mission"
    },
    404: {"description": "No such meeting (or no outcome yet), or one the user may not see"},
    409: {
        "description": "Stale `expected_version` or outcome already recorded; "
        "the body carries `current_version` and `current`"
    },
    422: {"description": "Bad amount or currency, missing exchange rate, missing reason"},
}


@router.post(
    "/meetings/{meeting_id}/outcome",
    response_model=OutcomeVersionOut,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,  # type: ignore[arg-type]
    summary="Record a meeting's outcome (version 1)",
)
async def record_outcome(
    meeting_id: PathId, body: OutcomeIn, session: SessionDep, caller: OutcomeCaller
) -> OutcomeVersionOut:
    row = await service.record_outcome(
        session=session, meeting_id=meeting_id, data=body, actor=_actor(caller, body)
    )
    return OutcomeVersionOut.of(row)


@router.put(
    "/meetings/{meeting_id}/outcome",
    response_model=OutcomeVersionOut,
    responses=_ERRORS,  # type: ignore[arg-type]
    summary="Edit the outcome: appends a new version made from `expected_version`",
)
async def edit_outcome(
    meeting_id: PathId, body: OutcomeEdit, session: SessionDep, caller: OutcomeCaller
) -> OutcomeVersionOut:
    row = await service.amend_outcome(
        session=session,
        meeting_id=meeting_id,
        expected_version=body.expected_version,
        data=body,
        actor=_actor(caller, body),
    )
    return OutcomeVersionOut.of(row)


@router.get(
    "/meetings/{meeting_id}/outcome",
    response_model=OutcomeVersionOut,
    summary="The current version of a meeting's outcome",
)
async def read_outcome(current: CurrentOutcome) -> OutcomeVersionOut:
    return OutcomeVersionOut.of(current)


@router.get(
    "/meetings/{meeting_id}/outcome/versions",
    response_model=list[OutcomeVersionOut],
    summary="Every version, oldest first, each with who, role and when",
)
async def list_outcome_versions(
    meeting_id: PathId, session: SessionDep, _caller: OutcomeCaller
) -> list[OutcomeVersionOut]:
    rows = await service.list_versions(session=session, meeting_id=meeting_id)
    return [OutcomeVersionOut.of(row) for row in rows]


@router.get(
    "/meetings/{meeting_id}/outcome/versions/{version}",
    response_model=OutcomeVersionOut,
    summary="One version of a meeting's outcome",
)
async def read_outcome_version(
    meeting_id: PathId, version: PathId, session: SessionDep, _caller: OutcomeCaller
) -> OutcomeVersionOut:
    row = await service.get_version(session=session, meeting_id=meeting_id, version=version)
    return OutcomeVersionOut.of(row)


@router.post(
    "/missions/{mission_id}/close",
    summary="Close the mission: afterwards only the organiser amends outcomes, with a reason",
)
async def close_mission(
    mission_id: PathId, body: MissionClose, session: SessionDep, user: ConsoleUser
) -> dict[str, object]:
    actor = Actor(name=body.closed_by, role=body.role, audit=user_actor(user))
    mission = await service.close_mission(session=session, mission_id=mission_id, actor=actor)
    return {"mission_id": mission.id, "status": mission.status.value}


def _actor(caller: Caller, body: OutcomeIn) -> Actor:
    return Actor(name=body.recorded_by, role=caller.role(body.role), audit=caller.audit)
