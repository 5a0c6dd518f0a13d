"""Load seats of `bench.load` (run in their own processes): real aiortc peers that join a
room through the service's signalling websocket, publish replayed audio and video
(bench/load_media.py: pre-encoded, so the load generator spends no CPU on encoding) and
count the RTP packets of every track they receive, without decoding."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from rtc import apply_host_addresses

from .load_media import Encoded, ReplayAudio, ReplayVideo, load

logger = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 60.0


@dataclass
class SeatSpec:
    meeting_id: int
    seat: str
    token: str


class Refused(Exception):
    """Every node is at capacity: the join was refused (503 or close 1013), not dropped."""


@dataclass
class ReceivedTrack:
    seat: str  # the seat that publishes it
    kind: str
    packets: int = 0


@dataclass
class LoadSeat:
    """One seat: its websocket, its peer connection, what it has received."""

    spec: SeatSpec
    ws_url: str
    media: Encoded
    entry_url: str = ""  # with it, `POST /join` there first (a cluster's entry), as a browser
    joined: bool = False
    join_error: str = ""
    refused: str = ""  # no capacity: the service said so, with its Retry-After
    node_url: str = ""  # the websocket the seat joined on
    closed: str = ""  # the close code and reason, when the server closed the socket
    ice_failed: bool = False
    tracks: dict[str, ReceivedTrack] = field(default_factory=dict)  # by mid
    offered: dict[str, tuple[str, str]] = field(default_factory=dict)  # mid -> (seat, kind)
    routed_audio: set[str] | None = None  # audio seats the latest `routing` lists, if any
    stopping: bool = False

    def __post_init__(self) -> None:
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)
        self.unpublished: list[MediaStreamTrack] = [
            ReplayAudio(self.media),
            ReplayVideo(self.media),
        ]
        self._ws: ClientConnection | None = None
        self._pending_first: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._ids = 0

    async def start(self) -> None:
        url = f"{self.ws_url}/ws/rooms/{self.spec.meeting_id}"
        try:
            if self.entry_url:
                url = await self._place()
            await self._open(url)
        except Refused as exc:
            self.refused = str(exc)
            return
        except Exception as exc:  # counted as a failed join
            self.join_error = f"connect: {exc!r}"
            return
        self._task = asyncio.ensure_future(self._read())

    async def _place(self) -> str:
        """`POST /join` at the entry: where the room lives (a browser's first request)."""
        async with httpx.AsyncClient(timeout=JOIN_TIMEOUT_S) as http:
            response = await http.post(
                f"{self.entry_url}/api/v1/join", json={"token": self.spec.token}
            )
        if response.status_code == 503:
            raise Refused(f"503 retry after {response.headers.get('retry-after')} s")
        response.raise_for_status()
        return str(response.json()["websocket_url"])

    async def _open(self, url: str) -> None:
        """Join on the websocket at `url`; a `room_elsewhere` answer is followed once."""
        for _ in range(2):
            self._ws = await connect(url, max_size=None, open_timeout=JOIN_TIMEOUT_S)
            await self._ws.send(
                json.dumps({"type": "join", "id": "join", "token": self.spec.token})
            )
            first = json.loads(await asyncio.wait_for(self._ws.recv(), JOIN_TIMEOUT_S))
            if first.get("type") == "error" and first.get("code") == "room_elsewhere":
                await self._ws.close()
                url = first["details"]["websocket_url"]
                continue
            if first.get("type") == "error" and first.get("code") == "no_capacity":
                await self._ws.close()
                raise Refused(f"1013 retry after {first['details'].get('retry_after')} s")
            self.node_url = url
            self._pending_first = first
            return
        raise RuntimeError(f"redirected twice: {url}")

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._messages():
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "response" and message.get("id") == "join":
                    self.joined = True
                elif kind == "error" and message.get("id") == "join":
                    self.join_error = f"{message.get('code')}: {message.get('message')}"
                elif kind == "offer":
                    await self._answer(message)
                elif kind == "routing":
                    self.routed_audio = {
                        feed["seat"] for feed in message.get("feeds", []) if feed.get("seat")
                    }
        except ConnectionClosed:
            pass
        except Exception as exc:
            logger.exception("%s: signalling failed", self.spec.seat)
            self.join_error = self.join_error or f"signalling: {exc!r}"
        finally:
            if not self.stopping and self._ws is not None:
                self.closed = f"{self._ws.close_code} {self._ws.close_reason}"
                logger.warning(
                    "meeting %s %s: socket closed %s",
                    self.spec.meeting_id,
                    self.spec.seat,
                    self.closed,
                )

    async def _messages(self) -> AsyncIterator[str | bytes]:
        assert self._ws is not None
        if self._pending_first is not None:
            first, self._pending_first = self._pending_first, None
            yield json.dumps(first)
        async for raw in self._ws:
            yield raw

    async def _answer(self, offer: dict[str, Any]) -> None:
        for track in offer.get("tracks", []):
            if track.get("mid") is not None:
                self.offered[track["mid"]] = (track["seat"], track["kind"])
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        for transceiver in self.pc.getTransceivers():
            sender: Any = transceiver.sender
            offer_direction = getattr(transceiver, "_offerDirection", None)
            if offer_direction not in ("sendonly", "sendrecv") or sender.track:
                continue
            track = next((t for t in self.unpublished if t.kind == transceiver.kind), None)
            if track is None:
                continue
            self.unpublished.remove(track)
            sender.replaceTrack(track)
            transceiver.direction = "sendonly"
            if isinstance(track, ReplayVideo):
                sender._send_keyframe = track.request_keyframe  # answer PLI at once
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        assert self._ws is not None
        answer = {"type": "answer", "id": offer["id"], "sdp": self.pc.localDescription.sdp}
        await self._ws.send(json.dumps(answer))

    def _on_state(self) -> None:
        # `closed` without our close(): ICE consent expired or DTLS ended under the seat.
        if self.pc.connectionState in ("failed", "closed") and not self.stopping:
            self.ice_failed = True
            logger.warning(
                "meeting %s %s: media connection %s",
                self.spec.meeting_id,
                self.spec.seat,
                self.pc.connectionState,
            )

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        mid = str(transceiver.mid)
        seat, kind = self.offered.get(mid, ("?", track.kind))
        received = self.tracks.setdefault(mid, ReceivedTrack(seat, kind))
        receiver: Any = transceiver.receiver

        async def count(packet: Any, arrival_time_ms: int) -> None:
            received.packets += 1

        receiver._handle_rtp_packet = count

    def expected(self) -> dict[str, ReceivedTrack]:
        """The received tracks that must keep flowing: every video, and the audio routing
        lists (all audio when no `routing` came)."""
        return {
            mid: track
            for mid, track in self.tracks.items()
            if track.kind == "video" or self.routed_audio is None or track.seat in self.routed_audio
        }

    def report(self) -> dict[str, Any]:
        return {
            "room": self.spec.meeting_id,
            "seat": self.spec.seat,
            "joined": self.joined,
            "join_error": self.join_error,
            "refused": self.refused,
            "node_url": self.node_url,
            "closed": self.closed,
            "ice_failed": self.ice_failed,
            "connection": self.pc.connectionState,
            "video_from": sorted({t.seat for t in self.tracks.values() if t.kind == "video"}),
            "expected": {mid: t.packets for mid, t in self.expected().items()},
            "packets": sum(t.packets for t in self.tracks.values()),
        }

    async def close(self) -> None:
        self.stopping = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.send(json.dumps({"type": "leave", "id": "leave"}))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.pc.close()


async def _run(
    ws_url: str,
    media_path: str,
    specs: list[SeatSpec],
    stop: Any,
    reports: Any,
    every: float,
    entry_url: str = "",
) -> None:
    apply_host_addresses(["127.0.0.1"])
    media = load(Path(media_path))
    seats = [LoadSeat(spec, ws_url, media, entry_url=entry_url) for spec in specs]
    for seat in seats:
        await seat.start()
    loop = asyncio.get_running_loop()
    while not await loop.run_in_executor(None, stop.wait, every):
        reports.put((time.time(), [seat.report() for seat in seats]))
    reports.put((time.time(), [seat.report() for seat in seats]))
    await asyncio.gather(*(seat.close() for seat in seats), return_exceptions=True)


def run(
    ws_url: str,
    media_path: str,
    specs: list[SeatSpec],
    stop: Any,
    reports: Any,
    every: float,
    entry_url: str = "",
) -> None:
    """Process entry point: join the seats, report every `every` seconds until `stop`
    (through `POST /join` at `entry_url` first, when given: a cluster)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s load %(levelname)s %(name)s: %(message)s"
    )
    if os.environ.get("TRADEBOOTH_LOAD_DEBUG"):
        logging.getLogger("aioice").setLevel(logging.INFO)
        logging.getLogger("aiortc").setLevel(logging.DEBUG)
    asyncio.run(_run(ws_url, media_path, specs, stop, reports, every, entry_url))
