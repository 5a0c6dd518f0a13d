"""All HTTP API routers under /api/v1."""

from fastapi import APIRouter

from app.meetings.router import router as meetings_router
from app.missions.router import router as missions_router
from app.missions.router import venues_router
from app.organisations.router import router as organisations_router
from app.participants.router import buyers_router, companies_router, interpreters_router

api_router = APIRouter()
api_router.include_router(organisations_router)
api_router.include_router(missions_router)
api_router.include_router(venues_router)
api_router.include_router(companies_router)
api_router.include_router(buyers_router)
api_router.include_router(interpreters_router)
api_router.include_router(meetings_router)

from app.followups.router import router as followups_router  # noqa: E402
from app.matching.router import router as matching_router  # noqa: E402
from app.money.router import router as exchange_rates_router  # noqa: E402
from app.outcomes.router import router as outcomes_router  # noqa: E402
from app.reports.router import router as reports_router  # noqa: E402
from app.scheduling.router import router as scheduling_router  # noqa: E402

for _router in (exchange_rates_router, outcomes_router, followups_router, reports_router,
                matching_router, scheduling_router):
    api_router.include_router(_router)

from app.audit.router import router as audit_router  # noqa: E402
from app.auth.router import router as auth_router  # noqa: E402

api_router.include_router(auth_router)
api_router.include_router(audit_router)
