"""Helpers shared by the browser tests of the call: an admin's API, and a seat joining."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.settings import Settings
from tests.principals import admin_headers
from tests.web.conftest import Server


@contextmanager
def signed_in(server: Server) -> Iterator[Server]:
    """The server with its API as a signed-in admin (the records API needs a session)."""

    async def sign_in() -> dict[str, str]:
        engine = create_async_engine(server.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                settings = Settings(environment="test", database_url=server.database_url)
                return await admin_headers(session, settings)
        finally:
            await engine.dispose()

    # In a thread of its own: sync Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        headers = pool.submit(asyncio.run, sign_in()).result(60)
    with httpx.Client(base_url=str(server.api.base_url), timeout=10, headers=headers) as api:
        yield dataclasses.replace(server, api=api)


def join_call(page: Page, url: str, lang: str) -> None:
    """Open a seat's link in `lang`, keep the devices, join from the lobby."""
    base, token = url.split("#", 1)
    page.goto(f"{base}?lang={lang}#{token}")
    expect(page.locator("#step-devices")).to_be_visible()
    page.click("#devices-continue")
    expect(page.locator("#lobby-join")).to_be_enabled()
    page.click("#lobby-join")
    expect(page.locator("#step-call")).to_be_visible()
