"""Load-or-404 dependencies of the outcomes API, and who is asking: a console user or a seat.

The outcome form is the one part of the API a seat link reaches (docs/security.md): the
company's and the interpreters' seats present their link as `Authorization: Bearer <token>`
for their own meeting only. Everyone else signs in to the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.audit.service import seat_actor, user_actor
from app.auth.dependencies import (
    SAFE_METHODS,
    NowDep,
    check_mission,
    get_principal,
)
from app.auth.models import User
from app.clock import ClockDep
from app.dependencies import SessionDep, SettingsDep
from app.errors import PermissionDenied
from app.meetings.exceptions import MeetingNotFound
from app.meetings.models import Meeting
from app.outcomes import service
from app.outcomes.actors import Role
from app.outcomes.models import OutcomeVersion
from app.rooms.dependencies import SignerDep
from app.rooms.service import check_token
from app.schemas import PathId
from rooms.seats import Seat

# The seats with an outcome form, and the role their link records in.
SEAT_ROLES = {Seat.COMPANY: Role.COMPANY_SEAT, Seat.INTERPRETER: Role.INTERPRETER,
              Seat.PARTNER: Role.INTERPRETER}
BEARER = "bearer "


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks about a meeting's outcome: a console user, or a seat of that meeting."""

    audit: str  # the actor as the audit log names it
    user: User | None = None
    seat: Seat | None = None

    def role(self, stated: Role) -> Role:
        """A seat records in its seat's role; a console user (the organiser, who may write
        for the company or the interpreter) in the role it states."""
        return SEAT_ROLES[self.seat] if self.seat is not None else stated


async def outcome_caller(
    meeting_id: PathId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    clock: ClockDep,
    now: NowDep,
) -> Caller:
    """A seat link of this meeting (401 none; 403 a link that is not valid for it, or a seat
    without an outcome form), else a console session that may read the meeting's mission
    (404 otherwise) and, to record, change it (403)."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith(BEARER):
        token = authorization[len(BEARER):].strip()
        claims = await check_token(
            session=session, signer=signer, token=token, meeting_id=meeting_id, now=clock.now()
        )
        if claims.seat not in SEAT_ROLES:
            raise PermissionDenied(
                f"the {claims.seat.value} seat has no outcome form", seat=claims.seat.value
            )
        return Caller(audit=seat_actor(meeting_id, claims.seat.value), seat=claims.seat)
    principal = await get_principal(request, session, settings, now)
    meeting = await session.get(Meeting, meeting_id)
    if meeting is not None:
        await check_mission(
            session=session,
            user=principal.user,
            mission_id=meeting.mission_id,
            write=request.method not in SAFE_METHODS,
            hidden=MeetingNotFound(meeting_id),
        )
    return Caller(audit=user_actor(principal.user), user=principal.user)


OutcomeCaller = Annotated[Caller, Depends(outcome_caller)]


async def current_outcome(
    meeting_id: PathId, session: SessionDep, _caller: OutcomeCaller
) -> OutcomeVersion:
    return await service.get_current(session=session, meeting_id=meeting_id)


CurrentOutcome = Annotated[OutcomeVersion, Depends(current_outcome)]
