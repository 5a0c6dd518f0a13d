"""Helpers shared by the browser tests of the call."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def join_call(page: Page, url: str, lang: str) -> None:
    """Open a seat's link in `lang`, keep the devices, join from the lobby."""
    base, token = url.split("#", 1)
    page.goto(f"{base}?lang={lang}#{token}")
    expect(page.locator("#step-devices")).to_be_visible()
    page.click("#devices-continue")
    expect(page.locator("#lobby-join")).to_be_enabled()
    page.click("#lobby-join")
    expect(page.locator("#step-call")).to_be_visible()
