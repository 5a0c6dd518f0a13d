"""Debian's Chromium via Playwright, WebRTC kept on loopback (loopback-webrtc.md, setup B)."""

from __future__ import annotations

import json
import math
import struct
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright

from tests.conftest import without_libfaketime

CHROMIUM = "/usr/bin/chromium"

# Playwright passes its own --disable-features list and Chromium keeps only the last one, so
# ours repeats Playwright's (driver/.../chromiumSwitches) and adds the mDNS switch.
PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
    "SkipListAccountsWithoutGaiaCookies",
]
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--autoplay-policy=no-user-gesture-required",
    # Screen sharing without a picker: the fake UI accepts, this picks the whole screen.
    "--auto-select-desktop-capture-source=Entire screen",
    "--disable-features=" + ",".join([*PLAYWRIGHT_DISABLED_FEATURES, "WebRtcHideLocalIpsWithMdns"]),
]


@dataclass
class Console:
    """Console errors and uncaught exceptions of every page of a context."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            # A missing catalogue key is an error too (i18n.js warns "no message <key>").
            if message.type == "error" or message.text.startswith("no message"):
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))


def launch(
    playwright: Playwright,
    profile: Path,
    *,
    locale: str = "en-GB",
    extra_args: Sequence[str] = (),
    **options: Any,
) -> tuple[BrowserContext, Console]:
    """A persistent context whose profile keeps WebRTC off every interface but the relay's.
    `extra_args`: more Chromium switches (e.g. `tone_microphone`'s)."""
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    preferences = {"webrtc": {"ip_handling_policy": "default_public_interface_only"}}
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=[*ARGS, *extra_args],
        locale=locale,
        viewport={"width": 1366, "height": 900},
        permissions=["camera", "microphone", "clipboard-read", "clipboard-write"],
        env=without_libfaketime(),  # Chromium does not load pages under it
        **options,
    )
    console = Console()
    for page in context.pages:
        console.watch(page)
    context.on("page", console.watch)
    return context, console


def tone_microphone(folder: Path, hz: float, *, seconds: float = 2.0) -> list[str]:
    """Chromium switches whose fake microphone plays a steady tone (looped) instead of the
    default short beeps, which the relay's voice detection does not count as speech."""
    path = folder / f"tone-{int(hz)}.wav"
    rate = 48_000
    samples = (
        int(0.3 * 32767 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(rate * seconds))
    )
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return [f"--use-file-for-fake-audio-capture={path}"]
