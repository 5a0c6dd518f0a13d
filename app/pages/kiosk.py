"""The booth kiosk page: a booth's screen that runs its day by itself (docs/booths.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.i18n import COOKIE, LANGUAGES
from app.pages.router import CURRENCIES, render

router = APIRouter(include_in_schema=False)


@router.get("/kiosk")
async def kiosk_page(request: Request) -> HTMLResponse:
    # Like /join, the booth link's token stays in the URL fragment (never in server logs);
    # the page keeps it in localStorage so the kiosk stays signed in for the mission's days.
    chosen = request.query_params.get("lang") in LANGUAGES or (
        request.cookies.get(COOKIE) in LANGUAGES
    )
    return render(request, "kiosk.html", currencies=CURRENCIES, lang_chosen=chosen)
