"""A seat that finds its room's node as the browser's call.js does (tests/rooms/client.py
MediaSeat underneath: a real aiortc peer that decodes what it receives).

It asks `POST /join` on the node it first reaches, connects to the websocket the answer names,
follows a `room_elsewhere` redirect at once, and after a drop starts a new peer connection
through the service's entry URL with call.js's backoff (0.5 s doubling, at most 5 s)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
from websockets.exceptions import WebSocketException

from tests.rooms.client import MediaSeat

logger = logging.getLogger(__name__)

FATAL_CLOSE = {4001, 4002, 4003, 4004, 4005, 4009, 4010, 4011, 4012, 4013, 1003, 1008, 1009}
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 5.0


class JoinRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any], retry_after: str | None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


class ClusterSeat:
    def __init__(
        self,
        meeting_id: int,
        token: str,
        *,
        name: str,
        tone_hz: float = 440.0,
        video: bool = True,
    ) -> None:
        self.meeting_id = meeting_id
        self.token = token
        self.name = name
        self.tone_hz = tone_hz
        self.video = video
        self.details: dict[str, Any] = {}
        self.seat: MediaSeat | None = None  # the current connection
        self.connected_to: list[str] = []  # every websocket URL a join succeeded on
        self.redirects: list[str] = []
        self.drops: list[tuple[int | None, str]] = []
        self.joins = 0
        self._watcher: asyncio.Task[None] | None = None
        self._closes: dict[int, asyncio.Task[None]] = {}
        self._closing = False

    async def join(self, via: str, *, device: str = "") -> dict[str, Any]:
        """`POST /join` on `via` (a node's or the entry's base URL), then the websocket."""
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(f"{via}/api/v1/join", json={"token": self.token})
        if response.status_code != 200:
            raise JoinRefused(
                response.status_code, response.json(), response.headers.get("retry-after")
            )
        self.details = response.json()
        await self.connect(self.details["websocket_url"], device=device)
        return self.details

    async def connect(self, url: str, *, device: str = "", entry: str | None = None) -> None:
        """Join on the websocket at `url`, following redirects; then keep the seat connected
        (rejoining through `entry`, by default the join response's `entry_websocket_url`)."""
        if entry is not None:
            self.details["entry_websocket_url"] = entry
        await self._connect(url, device)
        self._watcher = asyncio.create_task(self._watch(device))

    async def _connect(self, url: str, device: str) -> None:
        for _ in range(5):
            base = url.removesuffix(f"/ws/rooms/{self.meeting_id}")
            seat = MediaSeat(
                base, self.meeting_id, self.token, name=self.name, tone_hz=self.tone_hz,
                video=self.video,
            )  # fmt: skip
            try:
                await seat.signal.connect()
                seat.media.connect(seat._answer)
                reply = await seat.signal.request("join", token=self.token, device=device)
            except AssertionError:
                # Refused: the server says why in an `error` notice, then closes the socket.
                reply = next(iter(seat.signal.of_type("error")[-1:]), {"code": "closed"})
                reply |= {"close_code": seat.signal.close_code}
            except BaseException:
                await seat.close()
                raise
            if reply.get("type") == "response":
                self.seat = seat
                self.joins += 1
                self.connected_to.append(url)
                return
            await seat.close()
            if reply.get("code") != "room_elsewhere":
                raise JoinRefused(0, reply, str(reply.get("details", {}).get("retry_after")))
            assert reply["close_code"] == 4015, reply
            url = reply["details"]["websocket_url"]
            self.redirects.append(url)
        raise AssertionError(f"{self.name}: redirected in a loop: {self.redirects}")

    async def _watch(self, device: str) -> None:
        """Rejoin after every drop, as call.js does: a new peer, through the entry."""
        while not self._closing:
            assert self.seat is not None
            code, reason = await self.seat.signal.wait_closed(within=24 * 3600)
            if self._closing:
                return
            self.drops.append((code, reason))
            await self._close(self.seat)
            if code in FATAL_CLOSE:
                return
            attempt = 0
            while not self._closing:
                delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**attempt)
                attempt += 1
                await asyncio.sleep(delay)
                try:
                    await self._connect(self.details["entry_websocket_url"], device)
                    break
                except (OSError, JoinRefused, AssertionError, WebSocketException) as exc:
                    logger.info("%s: rejoin failed: %r", self.name, exc)

    async def _close(self, seat: MediaSeat) -> None:
        """Close `seat` once, whoever asks: aiortc's close, cancelled half-way, would leave
        every later close waiting for ever."""
        task = self._closes.get(id(seat))
        if task is None:
            task = self._closes[id(seat)] = asyncio.create_task(seat.close())
        await asyncio.shield(task)

    @property
    def media(self) -> MediaSeat:
        assert self.seat is not None, f"{self.name} is not connected"
        return self.seat

    async def close(self) -> None:
        self._closing = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.seat is not None:
            await self._close(self.seat)
