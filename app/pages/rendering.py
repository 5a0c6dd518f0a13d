"""Rendering a console page: the page language, the templates' shared context, "not found"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import clock
from app.i18n import COOKIE, LANGUAGES, Translator, js_catalogue, negotiate

ROOT = Path(__file__).resolve().parent.parent.parent
templates = Jinja2Templates(directory=str(ROOT / "app" / "templates"))


def page_lang(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
    )


def render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = page_lang(request)
    t = Translator(lang)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "languages": LANGUAGES,
            "catalogue_json": js_catalogue(lang),
            "now": clock.now(),
            # Set by PageUser on console pages: the forms echo the session's CSRF token.
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "user": getattr(request.state, "user", None),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def not_found(request: Request, what: str) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, what=what)
