"""All HTTP API routers under /api/v1, each with who may reach it (docs/security.md)."""

from typing import Any

from fastapi import APIRouter, Depends

from app.audit.router import router as audit_router
from app.auth.dependencies import authorize_console
from app.auth.router import router as auth_router
from app.auth.users_router import router as users_router
from app.followups.router import router as followups_router
from app.imports.router import router as imports_router
from app.interpreting.router import router as interpreting_router
from app.matching.router import router as matching_router
from app.meetings.router import router as meetings_router
from app.missions.router import router as missions_router
from app.missions.router import venues_router
from app.money.router import router as exchange_rates_router
from app.organisations.router import router as organisations_router
from app.outcomes.router import router as outcomes_router
from app.participants.router import buyers_router, companies_router, interpreters_router
from app.reports.router import router as reports_router
from app.scheduling.router import router as scheduling_router

# A signed-in console user (CSRF on writes) who may reach the path's mission: 401 without a
# session, 404 for a mission of another organisation, 403 for a write the user may not make.
console = [Depends(authorize_console)]
CONSOLE_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No console session: sign in with POST /api/v1/auth/sign-in"},
    403: {"description": "A write without X-CSRF-Token, or one the user may not make"},
    404: {"description": "Not found, or of a mission the user may not read"},
}

api_router = APIRouter()
for _router in (
    organisations_router,  # reads scoped to the user's organisation; writes for admins
    missions_router,
    venues_router,
    companies_router,
    buyers_router,
    interpreters_router,
    meetings_router,
    exchange_rates_router,
    followups_router,
    reports_router,
    imports_router,
    matching_router,
    scheduling_router,
    interpreting_router,
):
    api_router.include_router(_router, dependencies=console, responses=CONSOLE_ANSWERS)

# The outcome form also takes a seat link of its meeting: each route says who it admits.
api_router.include_router(outcomes_router)
api_router.include_router(auth_router)  # sign-in is open; the rest needs a session
api_router.include_router(audit_router)  # admins
api_router.include_router(users_router)  # admins
