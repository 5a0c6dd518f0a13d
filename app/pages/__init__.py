"""Server-rendered pages (organiser console, join flow, call) and the static files they use."""

from __future__ import annotations

from fastapi import FastAPI


def install_pages(app: FastAPI) -> None:
    """Mount /static and the page routes on `app`."""
    from app.pages.imports import router as imports_router
    from app.pages.results import router as results_router
    from app.pages.router import mount

    app.include_router(imports_router)
    app.include_router(results_router)
    mount(app)
